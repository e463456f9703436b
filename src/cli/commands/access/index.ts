// `slipway access`, `access:add EMAIL`, `access:remove EMAIL`: who reaches an app (its owner or team
// members, and collaborators), over /apps/{app}/collaborators as the heroku CLI uses it.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { table } from '../../ux.ts';

interface CollaboratorInfo { user: { email: string }; role?: string | null }

const appPath = (app: string) => `/apps/${encodeURIComponent(app)}`;

export const list = defineCommand({
  id: 'access',
  aliases: ['sharing', 'access:list'],
  description: 'list who has access to an app',
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const collaborators = await ctx.api.get<CollaboratorInfo[]>(`${appPath(app)}/collaborators`);
    if (ctx.flags.json) return ctx.ui.json(collaborators);
    ctx.ui.header(`${app} Access List`);
    ctx.ui.lines(table(collaborators.map((c) => [c.user.email, c.role ?? 'collaborator'])));
  },
});

export const add = defineCommand({
  id: 'access:add',
  aliases: ['sharing:add'],
  description: 'give another account access to an app\nThe account must exist on this platform (the operator makes accounts: accounts:create).',
  args: [{ name: 'email', description: 'the email of the account', required: true }],
  flags: { ...appFlags },
  examples: ['slipway access:add dev@example.com -a demo'],
  async run(ctx) {
    const app = await ctx.app();
    const email = ctx.args.email;
    if (!email) throw new CliError('Give the email of the account, e.g. slipway access:add dev@example.com');
    await ctx.ui.action(`Adding ${email} access to the app ${app}`, () => ctx.api.post(`${appPath(app)}/collaborators`, { user: email }));
  },
});

export const remove = defineCommand({
  id: 'access:remove',
  aliases: ['sharing:remove'],
  description: "remove an account's access to an app (anyone may remove their own)",
  args: [{ name: 'email', description: 'the email of the account', required: true }],
  flags: { ...appFlags },
  async run(ctx) {
    const app = await ctx.app();
    const email = ctx.args.email;
    if (!email) throw new CliError('Give the email of the account, e.g. slipway access:remove dev@example.com');
    await ctx.ui.action(`Removing ${email} access from the app ${app}`, () => ctx.api.delete(`${appPath(app)}/collaborators/${encodeURIComponent(email)}`));
  },
});
