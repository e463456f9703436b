// `slipway pg:credentials:rotate [DATABASE]`: a new password for the database's role; its connections
// are dropped and every attached app gets the new URL in a release and restarts.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { pickAttachment } from '../../addons.ts';
import { confirmApp } from '../../confirm.ts';

export default defineCommand({
  id: 'pg:credentials:rotate',
  description: 'rotate the database credentials\nConnections are reset and applications are restarted.',
  args: [{ name: 'database', description: 'config var or add-on name of the database' }],
  flags: {
    ...appFlags,
    confirm: flag.string({ char: 'c', helpValue: 'APP', description: 'the app name, to confirm without a prompt' }),
    force: flag.boolean({ description: 'rotate even with connections open (always the case here)' }),
  },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const { addon } = await pickAttachment(api, app, 'heroku-postgresql', 'DATABASE', args.database);
    await confirmApp(ui, app, flags.confirm, `rotate the password of the default credential of ${addon.name}: connections will be reset and applications will be restarted`);
    await ui.action(`Rotating default on ${addon.name}`, () => api.post(`/addons/${encodeURIComponent(addon.id)}/actions/rotate-credentials`, {}));
  },
});
