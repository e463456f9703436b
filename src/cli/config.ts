// Where the platform is and who we are to it: SLIPWAY_HOST, the API key (SLIPWAY_API_KEY or ~/.netrc), version.

import { readFileSync } from 'node:fs';
import { findMachine, netrcPath, readNetrc } from './netrc.ts';

export const DEFAULT_HOST = 'http://localhost:5000';

/** The API base from SLIPWAY_HOST; a bare `host:port` means http. */
export function apiBase(env: NodeJS.ProcessEnv): URL {
  const raw = (env.SLIPWAY_HOST || DEFAULT_HOST).trim().replace(/\/+$/, '');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    return new URL(withScheme);
  } catch {
    throw new Error(`SLIPWAY_HOST is not a URL: ${raw}`);
  }
}

/** The base as users write it: no trailing slash. */
export function hostLabel(base: URL): string {
  return base.href.replace(/\/+$/, '');
}

/**
 * Netrc machine names for a host: `host:port` (how the heroku CLI names the API machine) and, when that
 * differs, the bare hostname — git's libcurl matches `machine` against the hostname without the port.
 */
export function netrcMachines(base: URL): string[] {
  return base.host === base.hostname ? [base.host] : [base.host, base.hostname];
}

export interface Credentials {
  key: string;
  source: 'env' | 'netrc';
}

export function credentials(env: NodeJS.ProcessEnv, base: URL): Credentials | undefined {
  if (env.SLIPWAY_API_KEY) return { key: env.SLIPWAY_API_KEY, source: 'env' };
  const entry = findMachine(readNetrc(netrcPath(env)), base.host);
  return entry?.password ? { key: entry.password, source: 'netrc' } : undefined;
}

/** The version in the repository's package.json (the CLI ships inside it). */
export function cliVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function userAgent(): string {
  return `slipway-cli/${cliVersion()} ${process.platform}-${process.arch} node-${process.version}`;
}
