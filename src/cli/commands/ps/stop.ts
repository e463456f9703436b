// `slipway ps:stop DYNO|TYPE`: stop a dyno or every dyno of a type (POST .../dynos/X/actions/stop).

import { appFlags, defineCommand, flag } from '../../command.ts';
import { UsageError } from '../../errors.ts';

export default defineCommand({
  id: 'ps:stop',
  aliases: ['stop', 'ps:kill', 'kill', 'dyno:stop', 'dyno:kill'],
  description: 'stop an app dyno or process type',
  args: [{ name: 'dyno', description: 'a dyno (run.1234, web.1) or a process type (worker)' }],
  flags: {
    ...appFlags,
    'dyno-name': flag.string({ char: 'd', helpValue: 'DYNO', description: 'name of the dyno to stop' }),
    'process-type': flag.string({ char: 'p', helpValue: 'TYPE', description: 'name of the process type to stop' }),
  },
  examples: ['slipway ps:stop run.1828', 'slipway ps:stop worker'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const target = flags['dyno-name'] ?? flags['process-type'] ?? args.dyno;
    if (!target) throw new UsageError('Please specify a process type or dyno name to stop.');
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(target)}/actions/stop`;
    const what = target.includes('.') ? `dyno ${target}` : `all ${target} dynos`;
    await ui.action(`Stopping ${what} on ${app}`, () => api.post(path));
  },
});
