// Which app a command acts on: -a/--app, then SLIPWAY_APP, then git remotes that point at this platform.

import { CliError } from './errors.ts';
import { listRemotes, type Remote } from './git.ts';

/**
 * The app named by a git remote URL of this platform: `<scheme>://[user[:pass]@]<host>[/prefix]/<app>.git`,
 * http or https, the same host and port as the API base.
 */
export function appFromGitUrl(url: string, base: URL): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (u.host !== base.host) return undefined;
  const prefix = base.pathname.replace(/\/+$/, '');
  if (!u.pathname.startsWith(`${prefix}/`)) return undefined;
  const m = /^([a-z0-9][a-z0-9-]*)\.git\/?$/i.exec(u.pathname.slice(prefix.length + 1));
  return m ? m[1] : undefined;
}

export interface RemoteApp {
  remote: string;
  app: string;
}

/** The (remote, app) pairs among the remotes, narrowed to one remote name when given. */
export function appsFromRemotes(remotes: readonly Remote[], base: URL, remoteName?: string): RemoteApp[] {
  const found: RemoteApp[] = [];
  for (const r of remotes) {
    if (remoteName !== undefined && r.name !== remoteName) continue;
    const app = appFromGitUrl(r.url, base);
    if (app) found.push({ remote: r.name, app });
  }
  return found;
}

export const MISSING_APP = 'Missing required flag: -a, --app APP  app to run command against';

/** The one app the remotes agree on, or the error the heroku CLI gives. */
export function pickApp(found: readonly RemoteApp[]): string {
  const apps = [...new Set(found.map((f) => f.app))];
  if (apps.length === 1) return apps[0]!;
  if (apps.length === 0) throw new CliError(MISSING_APP);
  throw new CliError(`Multiple apps in git remotes: ${apps.join(', ')}; use --app`);
}

export interface InferOptions {
  flagApp?: string;
  flagRemote?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  base: URL;
}

export async function inferApp(o: InferOptions): Promise<string> {
  if (o.flagApp) return o.flagApp;
  if (o.env.SLIPWAY_APP) return o.env.SLIPWAY_APP;
  return pickApp(appsFromRemotes(await listRemotes(o.cwd), o.base, o.flagRemote));
}
