// `slipway buildpacks:remove [BUILDPACK] [-i N]`: drop one buildpack; the rest of the list is PUT back.

import { clearBuildpacks, displayUpdate, fetchBuildpacks, findBuildpack, putBuildpacks } from '../../buildpacks.ts';
import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';

export default defineCommand({
  id: 'buildpacks:remove',
  description: 'remove a buildpack set on the app',
  args: [{ name: 'buildpack', description: 'URL or name of the buildpack to remove' }],
  flags: {
    ...appFlags,
    index: flag.integer({ char: 'i', helpValue: 'N', description: 'the 1-based index of the URL to remove from the list of URLs' }),
  },
  examples: ['slipway buildpacks:remove heroku/python', 'slipway buildpacks:remove -i 2'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    if (flags.index !== undefined && args.buildpack) throw new UsageError('Please choose either index or Buildpack, but not both.');
    if (flags.index === undefined && !args.buildpack) {
      throw new UsageError('Usage: slipway buildpacks:remove [BUILDPACK_URL]. Must specify a buildpack to remove, either by index or URL.');
    }
    const app = await ctx.app();
    const list = await fetchBuildpacks(api, app);
    if (list.length === 0) throw new CliError(`No buildpacks were found. Next release on ${app} will detect buildpack normally.`);
    let at: number;
    if (flags.index !== undefined) {
      if (flags.index <= 0 || flags.index > list.length) {
        throw new CliError(list.length === 1 ? 'Invalid index. Only valid value is 1.' : `Invalid index. Please choose a value between 1 and ${list.length}`);
      }
      at = flags.index - 1;
    } else {
      at = findBuildpack(list, args.buildpack!);
    }
    if (at === -1) throw new CliError('Buildpack not found. Nothing was removed.');
    if (list.length === 1) return clearBuildpacks(ui, api, app, 'Buildpack removed.');
    const urls = list.map((b) => b.buildpack.url);
    urls.splice(at, 1);
    displayUpdate(ui, app, flags.remote, await putBuildpacks(api, app, urls), 'removed');
  },
});
