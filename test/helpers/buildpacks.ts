// Helpers for running the built-in buildpacks (buildpacks/*) for real, the way a
// platform speaking Heroku's classic buildpack API would: from a writable copy of
// the buildpack, with a clean environment, in temporary directories.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILDPACKS_DIR = join(REPO_ROOT, 'buildpacks');
export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'buildpacks', 'fixtures');
export const BUILDPACK_NAMES = ['nodejs', 'python', 'procfile'] as const;
export type BuildpackName = (typeof BUILDPACK_NAMES)[number];

/** A temp root holding copies of the buildpacks, app dirs, caches and a fake bin dir. */
export class Sandbox {
  readonly root: string;
  readonly fakeBin: string;
  readonly home: string;
  readonly tmp: string;

  constructor(prefix = 'slipway-bp-test-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.fakeBin = join(this.root, 'fakebin');
    this.home = join(this.root, 'home');
    this.tmp = join(this.root, 'tmp');
    for (const d of [this.fakeBin, this.home, this.tmp]) mkdirSync(d, { recursive: true });
    // The stack has no node, npm, yarn, pnpm or jq until a buildpack installs them:
    // these stand-ins make any use of the host's copies fail loudly.
    for (const tool of ['node', 'npm', 'npx', 'yarn', 'pnpm', 'corepack', 'jq']) {
      const p = join(this.fakeBin, tool);
      writeFileSync(p, `#!/bin/sh\necho "the host's ${tool} was used; the stack has none" >&2\nexit 127\n`);
      chmodSync(p, 0o755);
    }
  }

  /** A writable copy of a buildpack (bin/compile writes its `export` file into it). */
  buildpack(name: string): string {
    const dest = join(this.root, 'buildpacks', name);
    rmSync(dest, { recursive: true, force: true });
    cpSync(join(BUILDPACKS_DIR, name), dest, { recursive: true });
    return dest;
  }

  /** A new directory under the sandbox, optionally a copy of a fixture app. */
  dir(name: string, fixture?: string): string {
    const dest = join(this.root, name);
    rmSync(dest, { recursive: true, force: true });
    if (fixture) cpSync(join(FIXTURES_DIR, fixture), dest, { recursive: true });
    else mkdirSync(dest, { recursive: true });
    return dest;
  }

  /** The environment a build gets: nothing from the host but PATH to its basic tools. */
  env(extra: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string> = {
      PATH: `${this.fakeBin}:/usr/bin:/bin`,
      HOME: this.home,
      TMPDIR: this.tmp,
      LANG: 'C.UTF-8',
      STACK: 'slipway-12',
      SOURCE_VERSION: '0123456789abcdef0123456789abcdef01234567',
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order */
  output: string;
  ms: number;
  /** when each chunk of output arrived, in ms since the start */
  arrivals: { at: number; text: string }[];
}

/** Run a command with a clean env; resolves when it exits (or is killed at timeoutMs). */
export function run(cmd: string, args: string[], opts: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const start = Date.now();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    const arrivals: { at: number; text: string }[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      output += d;
      arrivals.push({ at: Date.now() - start, text: d });
    });
    child.stderr.on('data', (d: string) => {
      stderr += d;
      output += d;
      arrivals.push({ at: Date.now() - start, text: d });
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, output, ms: Date.now() - start, arrivals });
    });
  });
}

export function detect(bp: string, buildDir: string, env: Record<string, string>): { code: number | null; stdout: string } {
  const r = spawnSync(join(bp, 'bin', 'detect'), [buildDir], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

export function release(bp: string, buildDir: string, env: Record<string, string>): { code: number | null; stdout: string } {
  const r = spawnSync(join(bp, 'bin', 'release'), [buildDir], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

export function compile(bp: string, buildDir: string, cacheDir: string, envDir: string, env: Record<string, string>, timeoutMs?: number): Promise<RunResult> {
  return run(join(bp, 'bin', 'compile'), [buildDir, cacheDir, envDir], { env, timeoutMs });
}

/** Step headers ("-----> X") in order. */
export function headers(output: string): string[] {
  return output.split('\n').filter((l) => l.startsWith('-----> ')).map((l) => l.slice(7));
}
