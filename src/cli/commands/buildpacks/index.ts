// `slipway buildpacks`: the app's buildpacks in order (GET /apps/A/buildpack-installations).

import { buildpackLabel, fetchBuildpacks } from '../../buildpacks.ts';
import { appFlags, defineCommand, jsonFlag } from '../../command.ts';

export default defineCommand({
  id: 'buildpacks',
  description: 'display the buildpacks for an app',
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const list = await fetchBuildpacks(api, app);
    if (flags.json) return ui.json(list);
    if (list.length === 0) return ui.log(`${app} has no Buildpacks.`);
    if (list.length === 1) {
      ui.header(`${app} Buildpack URL`);
      ui.log(buildpackLabel(list[0]!));
    } else {
      ui.header(`${app} Buildpack URLs`);
      list.forEach((b, i) => ui.log(`${i + 1}. ${buildpackLabel(b)}`));
    }
  },
});
