// `slipway login`: with an email and password, trades them for a token (POST /oauth/authorizations with
// HTTP Basic, as `heroku login -i` does); with --key, or a key piped on stdin, checks that key with
// GET /account. Either way the token is saved in ~/.netrc for the API host and for git.

import { hostname } from 'node:os';
import { flag, defineCommand } from '../../command.ts';
import { hostLabel, netrcMachines } from '../../config.ts';
import { ensureCredentialHelper, gitOrigin } from '../../credential-helper.ts';
import { CliError } from '../../errors.ts';
import { netrcPath, readNetrc, setMachines, writeNetrc } from '../../netrc.ts';
import { prompt, readStdinLine } from '../../prompt.ts';
import type { Account } from '../../types.ts';

export default defineCommand({
  id: 'login',
  aliases: ['auth:login'],
  description:
    'log in with your email and password, or with an API key\n' +
    'On a terminal it asks for your email and password (not echoed). With --email, the password is read from\n' +
    'the terminal or as one line from stdin. With --key, or a key piped on stdin without --email, that key is used.\n' +
    'The token is saved in ~/.netrc for the API host and for git, so `git push` to the platform authenticates too.',
  flags: {
    email: flag.string({ char: 'e', helpValue: 'EMAIL', description: 'log in as this account (the password is asked for or read from stdin)' }),
    key: flag.string({ helpValue: 'KEY', description: 'the API key (instead of an email and password)' }),
    'expires-in': flag.integer({ helpValue: 'SECONDS', description: 'how long the token works (default: until revoked)' }),
  },
  examples: ['slipway login', 'slipway login --email dev@example.com', 'echo "$KEY" | slipway login'],
  async run({ flags, api, ui, host, env }) {
    if (env.SLIPWAY_API_KEY) ui.warn('SLIPWAY_API_KEY is set: it takes precedence over the key saved by login.');
    const tty = process.stdin.isTTY === true;
    let key: string;
    if (flags.key !== undefined || (!tty && flags.email === undefined)) {
      key = (flags.key ?? await readStdinLine(process.stdin)).trim();
      if (key === '') throw new CliError('No API key given.');
    } else {
      const email = (flags.email ?? await prompt(`Email for ${hostLabel(host)}: `, process.stdin, process.stderr)).trim();
      if (!email) throw new CliError('No email given.');
      const password = tty ? await prompt('Password: ', process.stdin, process.stderr, true) : await readStdinLine(process.stdin);
      if (!password) throw new CliError('No password given.');
      const auth = await api.post<{ access_token: { token: string } }>('/oauth/authorizations', {
        description: `Slipway CLI login from ${hostname()}`, ...(flags['expires-in'] ? { expires_in: flags['expires-in'] } : {}),
      }, { basic: { email, password } });
      key = auth.access_token.token;
    }
    const account = await api.get<Account>('/account', { key });
    const file = netrcPath(env);
    writeNetrc(file, setMachines(readNetrc(file), netrcMachines(host), account.email, key));
    ui.log(`Logged in as ${account.email}`);
    if ((await ensureCredentialHelper(host, env)) === 'failed') ui.warn(`Could not set git's credential helper for ${gitOrigin(host)}; git push may ask for the key (any user name, the key as password).`);
  },
});
