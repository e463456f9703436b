// git's credential helper for the platform's git URL. git's libcurl skips a netrc `machine host:port`
// entry (it matches host names without the port), so `slipway login` names `slipway git:credentials`
// as the helper for the platform's git origin in the global git config, unless one is set there
// already (the official CLI sets `!heroku git:credentials` for its https origin itself).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SLIPWAY = fileURLToPath(new URL('../../bin/slipway', import.meta.url));

function git(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { env, encoding: 'utf8' }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout });
    });
  });
}

/** The origin git's credential config is keyed on: `http://localhost:5000`. */
export const gitOrigin = (host: URL): string => `${host.protocol}//${host.host}`;

/** The helper line: `!'/path/to/slipway' git:credentials` (git runs it through the shell). */
export const helperCommand = (slipway = SLIPWAY): string => `!'${slipway.replace(/'/g, `'\\''`)}' git:credentials`;

/**
 * Sets `credential.<origin>.helper` in the global git config when no helper is set for that origin.
 * Returns what it did: `set`, `kept` (one was there), or `failed` (git missing or the config unwritable).
 */
export async function ensureCredentialHelper(host: URL, env: NodeJS.ProcessEnv): Promise<'set' | 'kept' | 'failed'> {
  const key = `credential.${gitOrigin(host)}.helper`;
  const existing = await git(['config', '--global', '--get-all', key], env);
  if (existing.code === 0 && existing.stdout.trim() !== '') return 'kept';
  if (existing.code !== 1) return 'failed';
  return (await git(['config', '--global', key, helperCommand()], env)).code === 0 ? 'set' : 'failed';
}

/** The `key=value` lines git sends a helper (`protocol`, `host`, ...), at most 64 of them. */
export function parseCredentialRequest(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n').slice(0, 64)) {
    const i = line.indexOf('=');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1).replace(/\r$/, ''));
  }
  return fields;
}
