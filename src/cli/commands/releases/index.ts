// `slipway releases`: the newest releases, newest first (GET /apps/A/releases with a Range of max N).

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { renderReleases } from '../../releases-format.ts';
import type { Release } from '../../types.ts';

export default defineCommand({
  id: 'releases',
  description: 'display the releases for an app',
  flags: {
    ...appFlags,
    num: flag.integer({ char: 'n', helpValue: 'N', default: 15, description: 'number of releases to show' }),
    json: jsonFlag,
  },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const releases = await api.get<Release[]>(`/apps/${encodeURIComponent(app)}/releases`, {
      headers: { Range: `version ..; max=${flags.num}, order=desc` },
      partial: true,
    });
    if (flags.json) return ui.json(releases);
    ui.lines(renderReleases(app, releases, { now: new Date(), palette: ui.c }));
  },
});
