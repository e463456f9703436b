// `slipway buildpacks:add BUILDPACK [-i N]`: append (or insert at N) a buildpack; the whole list is PUT.

import { displayUpdate, ensureNotSet, fetchBuildpacks, putBuildpacks, validateIndex } from '../../buildpacks.ts';
import { appFlags, defineCommand, flag } from '../../command.ts';

export default defineCommand({
  id: 'buildpacks:add',
  description: 'add new app buildpack, inserting into list of buildpacks if necessary',
  args: [{ name: 'buildpack', description: 'URL or name (heroku/nodejs) of the buildpack', required: true }],
  flags: { ...appFlags, index: flag.integer({ char: 'i', helpValue: 'N', description: 'the 1-based index of the URL in the list of URLs' }) },
  examples: ['slipway buildpacks:add heroku/python', 'slipway buildpacks:add -i 1 https://example.com/buildpack.tgz'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const buildpack = args.buildpack!;
    validateIndex(flags.index);
    const app = await ctx.app();
    const list = await fetchBuildpacks(api, app);
    ensureNotSet(list, buildpack);
    const urls = list.map((b) => b.buildpack.url);
    const at = flags.index === undefined ? urls.length : Math.min(flags.index - 1, urls.length);
    urls.splice(at, 0, buildpack);
    displayUpdate(ui, app, flags.remote, await putBuildpacks(api, app, urls), 'added');
  },
});
