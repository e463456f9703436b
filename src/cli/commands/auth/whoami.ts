// `slipway auth:whoami`: the email of the account the API key belongs to (GET /account).

import { defineCommand } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { Account } from '../../types.ts';

export default defineCommand({
  id: 'auth:whoami',
  aliases: ['whoami'],
  description: 'display the account email you are logged in as',
  flags: {},
  async run({ api, ui }) {
    if (!api.hasKey) throw new CliError('not logged in', 100);
    const account = await api.get<Account>('/account');
    ui.log(account.email);
  },
});
