// `slipway login`: checks an API key with GET /account and saves it in ~/.netrc for the CLI and for git.

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
    'log in with your API key\n' +
    'The key is read from the terminal (not echoed), or as one line from stdin when it is piped, or from --key.\n' +
    'It is saved in ~/.netrc for the API host and for git, so `git push` to the platform authenticates too.',
  flags: {
    key: flag.string({ helpValue: 'KEY', description: 'the API key (instead of reading it from the terminal or stdin)' }),
  },
  examples: ['slipway login', 'echo "$KEY" | slipway login'],
  async run({ flags, api, ui, host, env }) {
    if (env.SLIPWAY_API_KEY) ui.warn('SLIPWAY_API_KEY is set: it takes precedence over the key saved by login.');
    const raw = flags.key ?? (process.stdin.isTTY
      ? await prompt(`API key for ${hostLabel(host)}: `, process.stdin, process.stderr, true)
      : await readStdinLine(process.stdin));
    const key = raw.trim();
    if (key === '') throw new CliError('No API key given.');
    const account = await api.get<Account>('/account', { key });
    const file = netrcPath(env);
    writeNetrc(file, setMachines(readNetrc(file), netrcMachines(host), account.email, key));
    ui.log(`Logged in as ${account.email}`);
    if ((await ensureCredentialHelper(host, env)) === 'failed') ui.warn(`Could not set git's credential helper for ${gitOrigin(host)}; git push may ask for the key (any user name, the key as password).`);
  },
});
