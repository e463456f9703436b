// `slipway builds:create --source-url URL`: the Builds API (a .tar.gz of the source from a URL), with the
// build's output streamed as it happens, as `git push` shows it.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';
import { pipeOutputStream } from '../../release-output.ts';
import type { Build } from '../../types.ts';

export default defineCommand({
  id: 'builds:create',
  description: 'create a build from a source tarball URL\nThe URL must serve a .tar.gz of the app (a single top-level directory is stripped).',
  flags: {
    ...appFlags,
    'source-url': flag.string({ helpValue: 'URL', description: 'http(s) URL of the source tarball' }),
    version: flag.string({ helpValue: 'VERSION', description: 'the version the release is described by (Deploy VERSION)' }),
    checksum: flag.string({ helpValue: 'SHA256:HEX', description: 'the tarball\'s checksum, verified before building' }),
  },
  examples: ['slipway builds:create --source-url https://example.com/app.tgz --version 1.2.0'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const url = flags['source-url'];
    if (!url) throw new UsageError('Missing required flag --source-url URL.');
    const app = await ctx.app();
    const build = await api.post<Build>(`/apps/${encodeURIComponent(app)}/builds`, {
      source_blob: { url, ...(flags.version ? { version: flags.version } : {}), ...(flags.checksum ? { checksum: flags.checksum } : {}) },
    });
    if (build.output_stream_url) await pipeOutputStream(build.output_stream_url, ui.stdout);
    const done = await api.get<Build>(`/apps/${encodeURIComponent(app)}/builds/${build.id}`);
    if (done.status !== 'succeeded') throw new CliError(`Build ${build.id} ${done.status}.`);
  },
});
