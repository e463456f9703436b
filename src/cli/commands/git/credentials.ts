// `slipway git:credentials get`: git's credential helper (set by `slipway login`). Answers git's `get`
// for the platform's origin with the key saved by login (or SLIPWAY_API_KEY); any user name is accepted.

import { defineCommand } from '../../command.ts';
import { credentials } from '../../config.ts';
import { parseCredentialRequest } from '../../credential-helper.ts';

export default defineCommand({
  id: 'git:credentials',
  description: 'git credential helper for the platform (used by git, set up by login)\nOnly `get` answers; `store` and `erase` do nothing.',
  args: [{ name: 'operation', description: 'get, store or erase (git passes it)', required: true }],
  flags: {},
  async run({ args, ui, env }) {
    if (args.operation !== 'get') return;
    const req = parseCredentialRequest(await readRequest(process.stdin));
    const protocol = req.get('protocol');
    const host = req.get('host');
    if ((protocol !== 'http' && protocol !== 'https') || !host) return;
    let base: URL;
    try {
      base = new URL(`${protocol}://${host}`);
    } catch {
      return;
    }
    const found = credentials(env, base);
    if (found) ui.log(`username=slipway\npassword=${found.key}`);
  },
});

/** What git writes to the helper, up to a blank line or EOF; at most 64 KiB is read. */
function readRequest(stdin: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      stdin.removeAllListeners('data');
      stdin.pause?.();
      resolve(text);
    };
    stdin.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.length > 64 * 1024 || /\n\n|^\n/.test(text)) done();
    });
    stdin.on('end', done);
    stdin.on('error', done);
  });
}
