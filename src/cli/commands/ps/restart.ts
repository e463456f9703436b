// `slipway ps:restart [DYNO|TYPE]`: restart all dynos, one dyno or one process type (DELETE .../dynos[/X]).

import { appFlags, defineCommand, flag } from '../../command.ts';

export default defineCommand({
  id: 'ps:restart',
  aliases: ['restart', 'dyno:restart'],
  description: 'restart an app dyno or process type\nWithout an argument, restarts all dynos on the app.',
  args: [{ name: 'dyno', description: 'a dyno (web.1) or a process type (web)' }],
  flags: {
    ...appFlags,
    'dyno-name': flag.string({ char: 'd', helpValue: 'DYNO', description: 'name of the dyno to restart' }),
    'process-type': flag.string({ char: 'p', helpValue: 'TYPE', description: 'name of the process type to restart' }),
  },
  examples: ['slipway ps:restart', 'slipway ps:restart web', 'slipway ps:restart web.1'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const target = flags['dyno-name'] ?? flags['process-type'] ?? args.dyno;
    const path = `/apps/${encodeURIComponent(app)}/dynos${target ? `/${encodeURIComponent(target)}` : ''}`;
    const what = !target ? 'all dynos' : target.includes('.') ? `dyno ${target}` : `all ${target} dynos`;
    await ui.action(`Restarting ${what} on ${app}`, () => api.delete(path));
  },
});
