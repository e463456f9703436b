// `slipway buildpacks:set BUILDPACK [-i N]`: replace the first (or Nth) buildpack; the whole list is PUT.

import { displayUpdate, ensureNotSet, fetchBuildpacks, putBuildpacks, validateIndex } from '../../buildpacks.ts';
import { appFlags, defineCommand, flag } from '../../command.ts';

export default defineCommand({
  id: 'buildpacks:set',
  description: 'set new app buildpack, overwriting into list of buildpacks if necessary',
  args: [{ name: 'buildpack', description: 'URL or name (heroku/nodejs) of the buildpack', required: true }],
  flags: { ...appFlags, index: flag.integer({ char: 'i', helpValue: 'N', description: 'the 1-based index of the URL in the list of URLs' }) },
  examples: ['slipway buildpacks:set heroku/nodejs', 'slipway buildpacks:set -i 2 https://github.com/heroku/heroku-buildpack-python'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const buildpack = args.buildpack!;
    validateIndex(flags.index);
    const app = await ctx.app();
    const list = await fetchBuildpacks(api, app);
    ensureNotSet(list, buildpack);
    const urls = list.map((b) => b.buildpack.url);
    const at = flags.index === undefined ? 0 : Math.min(flags.index - 1, urls.length);
    urls.splice(at, 1, buildpack);
    displayUpdate(ui, app, flags.remote, await putBuildpacks(api, app, urls), 'set');
  },
});
