// `slipway releases:info [vN]`: one release (GET /apps/A/releases/N; the newest when N is omitted).

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { configLines, shellLines } from '../../config-vars.ts';
import { CliError, UsageError } from '../../errors.ts';
import { renderReleaseInfo } from '../../releases-format.ts';
import type { Release } from '../../types.ts';

export default defineCommand({
  id: 'releases:info',
  description: 'view detailed information for a release',
  args: [{ name: 'release', description: 'the release version, e.g. v3 (default: the newest)' }],
  flags: { ...appFlags, json: jsonFlag, shell: flag.boolean({ char: 's', description: 'output the config vars in shell format' }) },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}/releases`;
    let release: Release | undefined;
    if (args.release !== undefined) {
      const version = args.release.replace(/^v/, '');
      if (!/^\d+$/.test(version)) throw new UsageError(`Invalid release: ${args.release} (expected a version such as v3)`);
      release = await api.get<Release>(`${path}/${version}`);
    } else {
      const newest = await api.get<Release[]>(path, { headers: { Range: 'version ..; max=1, order=desc' }, partial: true });
      release = newest[0];
      if (!release) throw new CliError(`${app} has no releases.`);
    }
    if (flags.json) return ui.json(release);
    const vars = await api.get<Record<string, string>>(`${path}/${release.version}/config-vars`);
    ui.lines(renderReleaseInfo(release, { now: new Date(), palette: ui.c }));
    ui.log();
    ui.header(`v${release.version} Config vars`);
    ui.lines(flags.shell ? shellLines(vars) : configLines(vars, ui.c.green));
  },
});
