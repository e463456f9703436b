// `slipway releases:output [vN]`: the release phase's output of a release (the newest by default).

import { appFlags, defineCommand } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';
import { pipeOutputStream } from '../../release-output.ts';
import type { Release } from '../../types.ts';

export default defineCommand({
  id: 'releases:output',
  description: 'view the release command output\nFollows it while the release command is still running.',
  args: [{ name: 'release', description: 'the release version, e.g. v7 (default: the newest)' }],
  flags: { ...appFlags },
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}/releases`;
    let release: Release | undefined;
    if (args.release !== undefined) {
      const version = args.release.replace(/^v/, '');
      if (!/^\d+$/.test(version)) throw new UsageError(`Invalid release: ${args.release} (expected a version such as v7)`);
      release = await api.get<Release>(`${path}/${version}`);
    } else {
      release = (await api.get<Release[]>(path, { headers: { Range: 'version ..; max=1, order=desc' }, partial: true }))[0];
      if (!release) throw new CliError(`${app} has no releases.`);
    }
    if (!release.output_stream_url || (await pipeOutputStream(release.output_stream_url, ui.stdout)) === 'missing') {
      throw new CliError(`Release v${release.version} of ${app} has no release command output (its slug declares no release process type).`);
    }
  },
});
