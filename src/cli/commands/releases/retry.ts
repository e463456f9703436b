// `slipway releases:retry`: a new release of the newest release's slug with the current config vars,
// which runs the release command again (after fixing what made it fail, say a database).

import { appFlags, defineCommand } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { pipeOutputStream } from '../../release-output.ts';
import type { Formation, Release } from '../../types.ts';

export default defineCommand({
  id: 'releases:retry',
  description: 'retry the latest release-phase command\nCopies the latest release into a new release, which runs the release command again.',
  flags: { ...appFlags },
  examples: ['slipway releases:retry -a demo'],
  async run(ctx) {
    const { api, ui } = ctx;
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}`;
    const [latest] = await api.get<Release[]>(`${path}/releases`, { headers: { Range: 'version ..; max=1, order=desc' }, partial: true });
    if (!latest) throw new CliError(`No release found for ${app}.`);
    const formation = await api.get<Formation[]>(`${path}/formation`);
    if (!formation.some((f) => f.type === 'release') || !latest.slug) {
      throw new CliError(`${app} has no release command to retry: add a \`release:\` process type to its Procfile.`);
    }
    const retry = await ui.action(
      `Retrying v${latest.version} on ${app}`,
      () => api.post<Release>(`${path}/releases`, { slug: latest.slug!.id, description: `Retry of v${latest.version}: ${latest.description ?? ''}` }),
      (r) => `v${r.version}`,
    );
    if (retry.output_stream_url) {
      ui.log('Running release command...');
      await pipeOutputStream(retry.output_stream_url, ui.stdout);
      const done = await api.get<Release>(`${path}/releases/${retry.version}`);
      if (done.status === 'failed') throw new CliError(`The release command failed; v${retry.version} was not deployed.`);
    }
  },
});
