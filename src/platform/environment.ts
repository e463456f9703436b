// What the platform's own environment may hold once its settings are read. Every child process the
// platform starts inherits `process.env` unless given another (git, tar, runc, HAProxy, buildpack
// clones, the add-on servers' wrappers): after start it holds only what tools need (PATH, locale, time
// zone, temp dir, proxies for outbound fetches) and the platform's non-secret SLIPWAY_ settings. The
// operator key, and whatever else the operator's shell exported (cloud credentials, tokens), is gone,
// so no build, dyno, add-on server or tool can read it from its environment or from /proc.
import { closeSync, readFileSync } from 'node:fs';

const KEEP = /^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TMPDIR|TERM|NODE_EXTRA_CA_CERTS|https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY|SLIPWAY_[A-Z0-9_]+)$/;
const SECRET = new Set(['SLIPWAY_OPERATOR_KEY', 'SLIPWAY_OPERATOR_KEY_FD', 'SLIPWAY_METRICS_TOKEN', 'SLIPWAY_BACKUP_PASSPHRASE', 'SLIPWAY_DATABASE_URL']);

/**
 * `bin/slipway server` hands the operator key over on a pipe (SLIPWAY_OPERATOR_KEY_FD) rather than in the
 * environment: read it into `env` for the config, and close the pipe so no child inherits it.
 */
export function receiveOperatorKey(env: NodeJS.ProcessEnv = process.env): void {
  const fd = Number(env.SLIPWAY_OPERATOR_KEY_FD);
  if (!env.SLIPWAY_OPERATOR_KEY_FD || !Number.isInteger(fd) || fd < 3) return;
  try {
    env.SLIPWAY_OPERATOR_KEY = readFileSync(fd, 'utf8').replace(/\n$/, '');
  } finally {
    closeSync(fd);
    delete env.SLIPWAY_OPERATOR_KEY_FD;
  }
}

/** Removes from `env` (the process's, by default) everything a child must not inherit. */
export function confineEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of Object.keys(env)) if (!KEEP.test(name) || SECRET.has(name)) delete env[name];
}
