// `slipway builds:output [ID]`: what a build printed (the newest when ID is omitted); follows a running build to its end.

import { findBuild, printBuildOutput } from '../../builds.ts';
import { appFlags, defineCommand } from '../../command.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'builds:output',
  description: 'show build output\nOmit BUILD to get the output of the newest build; a build still running is followed to its end.',
  args: [{ name: 'build', description: 'the build id (default: the newest)' }],
  flags: { ...appFlags },
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const build = await findBuild(api, app, args.build);
    if (!build) throw new CliError(`No build found for ${args.build ?? app}.`);
    await printBuildOutput(api, build, ui.stdout);
  },
});
