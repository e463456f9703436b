// `slipway apps:transfer RECIPIENT`: gives the app to another account (an email) or to a team (a name),
// as the heroku CLI does: POST /account/app-transfers for a personal app going to a person, else
// PATCH /teams/apps/{app}. Here a transfer is done at once (Heroku mails the recipient to accept).

import { appFlags, defineCommand, flag } from '../../command.ts';
import { confirmApp } from '../../confirm.ts';
import { CliError } from '../../errors.ts';
import type { App } from '../../types.ts';

const isTeamApp = (owner?: string) => owner?.endsWith('@herokumanager.com') === true;

export default defineCommand({
  id: 'apps:transfer',
  description: 'transfer an app to another account or to a team\nA team app given to a person loses its collaborators; you are asked to confirm that.',
  args: [{ name: 'recipient', description: 'the email of an account, or a team name', required: true }],
  flags: { ...appFlags, confirm: flag.string({ char: 'c', helpValue: 'APP', description: 'the app name, to confirm without a prompt' }) },
  examples: ['slipway apps:transfer dev@example.com -a demo', 'slipway apps:transfer my-team -a demo'],
  async run(ctx) {
    const { args, flags, api, ui } = ctx;
    const recipient = args.recipient;
    if (!recipient) throw new CliError('Give the recipient: an email, or a team name.');
    const app = await api.get<App>(`/apps/${encodeURIComponent(await ctx.app())}`);
    const toPerson = recipient.includes('@');
    if (toPerson && isTeamApp(app.owner?.email ?? undefined)) await confirmApp(ui, app.name, flags.confirm, `remove all collaborators from ${app.name}`);
    await ui.action(`Transferring ${app.name} to ${recipient}`, () => (toPerson && !isTeamApp(app.owner?.email ?? undefined)
      ? api.post('/account/app-transfers', { app: app.name, recipient })
      : api.patch(`/teams/apps/${encodeURIComponent(app.name)}`, { owner: recipient })));
  },
});
