// `slipway builds:info [ID]`: one build (the newest when ID is omitted).

import { findBuild } from '../../builds.ts';
import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { when } from '../../time.ts';
import type { Release } from '../../types.ts';
import { styledObject } from '../../ux.ts';

export default defineCommand({
  id: 'builds:info',
  description: 'view detailed information for a build',
  args: [{ name: 'build', description: 'the build id (default: the newest)' }],
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const build = await findBuild(api, app, args.build);
    if (!build) throw new CliError(`No builds found for ${app}`);
    if (flags.json) return ui.json(build);
    ui.header(`Build ${build.id}`);
    const rows: [string, string][] = [
      ['Buildpacks', (build.buildpacks ?? []).map((b) => b.name ?? b.url ?? '').join(', ')],
      ['By', build.user?.email ?? ''],
      ['Status', build.status],
      ['Source Version', build.source_blob?.version ?? ''],
      ['When', when(build.created_at, { now: new Date() })],
    ];
    if (build.release?.id) {
      const release = await api.get<Release>(`/apps/${encodeURIComponent(app)}/releases/${build.release.id}`);
      rows.push(['Release', `v${release.version}`]);
    }
    ui.lines(styledObject(rows));
  },
});
