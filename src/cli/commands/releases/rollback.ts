// `slipway releases:rollback [vN]`: a new release with vN's slug and config vars (default: the release
// before the newest one that can be rolled back to), as `heroku releases:rollback` picks it.

import { appFlags, defineCommand } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';
import { pipeOutputStream } from '../../release-output.ts';
import type { Release } from '../../types.ts';

export default defineCommand({
  id: 'releases:rollback',
  aliases: ['rollback'],
  description:
    'roll back to a previous release\n' +
    'Makes a new release with the code and config vars of the one named (default: the previous one).\n' +
    'Add-ons are not rolled back.',
  args: [{ name: 'release', description: 'the release version to roll back to, e.g. v3' }],
  flags: { ...appFlags },
  examples: ['slipway releases:rollback', 'slipway releases:rollback v3'],
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}/releases`;
    let target: Release | undefined;
    if (args.release !== undefined) {
      const version = args.release.replace(/^v/, '');
      if (!/^\d+$/.test(version)) throw new UsageError(`Invalid release: ${args.release} (expected a version such as v3)`);
      target = await api.get<Release>(`${path}/${version}`);
    } else {
      const recent = await api.get<Release[]>(path, { headers: { Range: 'version ..; max=10, order=desc' }, partial: true });
      target = recent.filter((r) => r.eligible_for_rollback)[1];
      if (!target) throw new CliError(`${app} has no earlier release to roll back to.`);
    }
    const created = await ui.action(
      `Rolling back ${app}`,
      () => api.post<Release>(path, { release: target!.id }),
      () => `v${target!.version}`,
    );
    if (created.output_stream_url) {
      ui.log('Running release command...');
      if ((await pipeOutputStream(created.output_stream_url, ui.stdout)) === 'missing') ui.warn('Release command output is not available.');
    }
    ui.warn(`Rollback affects code and config vars; it doesn't add or remove add-ons.\nThis made v${created.version}; to undo, run: slipway releases:rollback v${created.version - 1}`);
  },
});
