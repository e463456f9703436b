// `slipway apps:destroy`: DELETE /apps/A after confirmation, then drop local git remotes that pointed at it.

import { appsFromRemotes } from '../../app.ts';
import { appFlags, defineCommand, flag } from '../../command.ts';
import { confirmApp } from '../../confirm.ts';
import { listRemotes, removeRemote } from '../../git.ts';

export default defineCommand({
  id: 'apps:destroy',
  aliases: ['destroy', 'apps:delete'],
  description:
    'permanently destroy an app\n' +
    'Asks you to type the app name; off a terminal --confirm APP is required.',
  args: [{ name: 'app', description: 'name of app to destroy' }],
  flags: {
    ...appFlags,
    confirm: flag.string({ char: 'c', helpValue: 'APP', description: 'the app name, to confirm without a prompt' }),
  },
  examples: ['slipway apps:destroy demo --confirm demo'],
  async run(ctx) {
    const { flags, args, api, ui, cwd, host } = ctx;
    const app = args.app ?? (await ctx.app());
    const path = `/apps/${encodeURIComponent(app)}`;
    await api.get(path); // a typo fails here, before anyone is asked to confirm
    await confirmApp(ui, app, flags.confirm, `delete ${app} including all add-ons`);
    await ui.action(`Destroying ${app} (including all add-ons)`, () => api.delete(path));
    for (const r of appsFromRemotes(await listRemotes(cwd), host)) {
      if (r.app === app) await removeRemote(cwd, r.remote);
    }
  },
});
