// `slipway buildpacks:clear`: empty the buildpack list (PUT with no updates) so the next build detects.

import { clearBuildpacks } from '../../buildpacks.ts';
import { appFlags, defineCommand } from '../../command.ts';

export default defineCommand({
  id: 'buildpacks:clear',
  description: 'clear all buildpacks set on the app',
  flags: { ...appFlags },
  async run(ctx) {
    await clearBuildpacks(ctx.ui, ctx.api, await ctx.app(), 'Buildpacks cleared.');
  },
});
