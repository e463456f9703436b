// The official `heroku` CLI (npm, pinned) as a user runs it against a test platform: installed once per
// machine into a cache dir, run with HEROKU_HOST on the platform and every call home turned off.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { TestPlatform } from './platform.ts';

const run = promisify(execFile);
export const HEROKU_VERSION = '11.10.0';
const CACHE = process.env.SLIPWAY_HEROKU_CLI_CACHE ?? `/var/cache/slipway/heroku-cli-${HEROKU_VERSION}`;
export const HEROKU = join(CACHE, 'node_modules', '.bin', 'heroku');

export async function installHerokuCli(): Promise<void> {
  if (existsSync(HEROKU)) return;
  await mkdir(CACHE, { recursive: true });
  await run('npm', ['install', '--prefix', CACHE, '--no-audit', '--no-fund', '--loglevel=error', `heroku@${HEROKU_VERSION}`], { timeout: 600_000 });
}

/** The environment the README gives the official CLI, with `home` as HOME (its netrc and git config). */
export function herokuEnv(p: TestPlatform, home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A CA bundle named in the environment outranks git's http.sslCAInfo: the tests say which CA git trusts.
  const { GIT_SSL_CAINFO: _cainfo, ...inherited } = process.env;
  return {
    ...inherited,
    NODE_EXTRA_CA_CERTS: join(p.dataDir, 'tls', 'ca.pem'),
    HOME: home, HEROKU_HOST: `http://localhost:${p.apiPort}`, HEROKU_API_KEY: p.key,
    HEROKU_PARTICLEBOARD_URL: `http://localhost:${p.apiPort}`, DISABLE_TELEMETRY: 'true', HEROKU_SKIP_ANALYTICS: '1',
    HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', FORCE_COLOR: '0',
    // On PATH as an installed CLI is: git runs `heroku git:credentials` as the credential helper.
    PATH: `${dirname(HEROKU)}:${process.env.PATH ?? ''}`, GIT_TERMINAL_PROMPT: '0', ...extra,
  };
}

export interface Ran { code: number; stdout: string; stderr: string }

/** Runs a command (the CLI, git) to its end, never throwing: its exit code and output. */
export async function runIn(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeout?: number }): Promise<Ran> {
  try {
    const r = await run(file, args, { env: opts.env, cwd: opts.cwd, timeout: opts.timeout ?? 90_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/**
 * `heroku login -i` as a user types it: on a terminal (`script` gives it a pty; piped stdin ends its
 * password prompt), answering each prompt when it shows. Resolves with the exit code and what it printed.
 */
export function loginInteractive(env: NodeJS.ProcessEnv, email: string, password: string): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', `${HEROKU} login -i`, '/dev/null'], { env });
    let out = '';
    let asked = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const read = (d: Buffer) => {
      out += d;
      if (asked === 0 && out.includes('Email')) {
        asked = 1;
        child.stdin.write(`${email}\r`);
      } else if (asked === 1 && out.includes('Password')) {
        asked = 2;
        child.stdin.write(`${password}\r`);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code: code ?? 1, stdout: out, stderr: '' });
    });
  });
}
