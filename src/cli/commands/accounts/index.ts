// The operator's accounts: `accounts`, `accounts:create EMAIL`, `accounts:disable EMAIL` and
// `accounts:enable EMAIL` (POST/GET /accounts, PATCH /accounts/{email}; the operator's key only).

import { randomBytes } from 'node:crypto';
import { defineCommand, flag, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { prompt } from '../../prompt.ts';
import { table } from '../../ux.ts';

interface AccountInfo { id: string; email: string; disabled?: boolean; created_at?: string }

export const list = defineCommand({
  id: 'accounts',
  aliases: ['accounts:list'],
  description: 'list the accounts of this platform (operator only)',
  flags: { json: jsonFlag },
  async run({ flags, api, ui }) {
    const accounts = await api.get<AccountInfo[]>('/accounts');
    if (flags.json) return ui.json(accounts);
    ui.lines(table([['Email', 'State', 'Created'], ...accounts.map((a) => [a.email, a.disabled ? 'disabled' : 'enabled', a.created_at ?? ''])]));
  },
});

export const create = defineCommand({
  id: 'accounts:create',
  description:
    'create an account (operator only)\n' +
    'On a terminal it asks for the password (empty: one is generated); otherwise, or with --generate-password, a\n' +
    'password is generated and printed once. The user logs in with `slipway login` or `heroku login -i`.',
  args: [{ name: 'email', description: 'the email the user logs in with', required: true }],
  flags: { 'generate-password': flag.boolean({ description: 'generate the password (printed once) instead of asking' }) },
  examples: ['slipway accounts:create dev@example.com'],
  async run({ args, flags, api, ui }) {
    if (!args.email) throw new CliError('Give the email of the new account, e.g. slipway accounts:create dev@example.com');
    let password = '';
    if (process.stdin.isTTY && !flags['generate-password']) {
      password = await prompt('Password (at least 10 characters; empty to generate one): ', process.stdin, process.stderr, true);
    }
    const generated = password === '';
    if (generated) password = randomBytes(18).toString('base64url');
    const a = await ui.action(`Creating account ${args.email}`, () => api.post<AccountInfo>('/accounts', { email: args.email, password }));
    if (generated) ui.log(`Password for ${a.email} (shown once): ${password}`);
  },
});

const toggle = (disabled: boolean) => defineCommand({
  id: disabled ? 'accounts:disable' : 'accounts:enable',
  description: disabled
    ? 'disable an account (operator only): its keys and password stop working; its apps stay'
    : 'enable a disabled account again (operator only)',
  args: [{ name: 'email', description: 'the account email', required: true }],
  flags: {},
  async run({ args, api, ui }) {
    if (!args.email) throw new CliError(`Give the account's email, e.g. slipway ${disabled ? 'accounts:disable' : 'accounts:enable'} dev@example.com`);
    await ui.action(`${disabled ? 'Disabling' : 'Enabling'} ${args.email}`, () => api.patch(`/accounts/${encodeURIComponent(args.email!)}`, { disabled }));
  },
});
export const disable = toggle(true);
export const enable = toggle(false);
