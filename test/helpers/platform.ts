// Starts a real platform for an integration test: `bin/slipway server` in its own process group, on
// free ports, in a temp data dir, with a known operator key; and the ways a user reaches it (API, git
// push, router, CLI). stop() sends SIGTERM to the group as ctrl-C would and checks nothing is left.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { parsePhases, type Phase } from '../../src/build/phases.ts';
import { freePort, TestPostgres } from '../../src/store/test-helpers.ts';
import { lastingLeftovers, sweep } from './leftovers.ts';

export { freePort };

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SLIPWAY = join(ROOT, 'bin', 'slipway');
const run = promisify(execFile);

export interface ApiResponse<T = any> { status: number; body: T; headers: Headers }

export class TestPlatform {
  /** The operator key: the platform's SLIPWAY_OPERATOR_KEY, what requests present. */
  key = `test-key-${Math.random().toString(36).slice(2)}`;
  apiPort = 0;
  routerPort = 0;
  routerTlsPort = 0;
  dataDir = '';
  output = '';
  private proc?: ChildProcess;
  /** The `slipway` command it runs (an older version's, to test an upgrade of its data dir). */
  bin = SLIPWAY;
  /** The command the running platform was started with (`bin` may name the next one already). */
  private launchedBin = SLIPWAY;

  get api(): string { return `http://127.0.0.1:${this.apiPort}`; }

  /** The platform process's pid (for CPU accounting in benchmarks). */
  get pid(): number {
    if (!this.proc?.pid) throw new Error('the platform is not running');
    return this.proc.pid;
  }

  private env: Record<string, string> = {};
  /** SLIPWAY_TEST_DATABASE=postgres: the platform's own throwaway PostgreSQL (an end-to-end test on that dialect). */
  private pg?: TestPostgres;

  async start(env: Record<string, string> = {}): Promise<void> {
    if (process.env.SLIPWAY_TEST_DATABASE === 'postgres' && !env.SLIPWAY_DATABASE_URL) {
      this.pg = await TestPostgres.start();
      env = { ...env, SLIPWAY_DATABASE_URL: await this.pg.database() };
    }
    this.env = env;
    this.dataDir = await mkdtemp(join(tmpdir(), 'slipway-test-'));
    this.apiPort = await freePort();
    this.routerPort = await freePort();
    this.routerTlsPort = await freePort();
    await this.launch();
  }

  /** SIGKILLs the platform process alone (its dynos keep running, as after a crash), then starts it again on the same data dir and ports. */
  async crashAndRestart(): Promise<void> {
    await this.kill();
    await this.relaunch();
  }

  /** SIGKILLs the platform process alone and waits until it is gone. */
  async kill(): Promise<void> {
    const p = this.proc!;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  /** Starts the platform again on the same data dir and ports, after `kill()`. */
  async relaunch(): Promise<void> {
    this.output = '';
    await this.launch();
  }

  /** Stops the platform (as ctrl-C would) and starts it again on the same data dir and ports, with `env` over the first start's. */
  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.stop();
    this.env = { ...this.env, ...env };
    if (env.SLIPWAY_OPERATOR_KEY) this.key = env.SLIPWAY_OPERATOR_KEY;
    this.output = '';
    await this.launch();
  }

  private async launch(): Promise<void> {
    const env = this.env;
    this.launchedBin = this.bin;
    this.proc = spawn(this.bin, ['server'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, SLIPWAY_DATA_DIR: this.dataDir, SLIPWAY_API_PORT: String(this.apiPort),
        SLIPWAY_ROUTER_PORT: String(this.routerPort), SLIPWAY_ROUTER_TLS_PORT: String(this.routerTlsPort), SLIPWAY_OPERATOR_KEY: this.key, SLIPWAY_DOMAIN: 'localhost',
        SLIPWAY_PUBLIC_URL: `http://127.0.0.1:${this.apiPort}`, SLIPWAY_STOP_GRACE: '5', ...env,
      },
    });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    const deadline = Date.now() + 15 * 60_000; // a first start on a new machine makes the stack
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`platform exited at start:\n${this.output}`);
      try {
        const r = await this.request('GET', '/apps');
        if (r.status === 200) return;
      } catch { /* not listening yet */ }
      await sleep(250);
    }
    throw new Error(`platform did not answer within 15 minutes:\n${this.output}`);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: {
        Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    }).catch((err: Error) => { throw new Error(`${err.message} (${(err as { cause?: Error }).cause?.message}); platform exit ${this.proc?.exitCode} ${this.proc?.signalCode}; its last lines:\n${this.output.trim().split('\n').slice(-25).join('\n')}`); });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  gitUrl(app: string, key = this.key): string {
    return `http://user:${key}@127.0.0.1:${this.apiPort}/${app}.git`;
  }

  /** `git push` of the repo's HEAD to the app's main; resolves with git's status and output. */
  push(dir: string, app: string, opts: { ref?: string; key?: string } = {}): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      const p = spawn('git', ['push', this.gitUrl(app, opts.key), opts.ref ?? 'HEAD:main'], { cwd: dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
      let output = '';
      p.stdout.on('data', (d) => (output += d));
      p.stderr.on('data', (d) => (output += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), 10 * 60_000);
      p.on('close', (code) => {
        clearTimeout(timer);
        // git pads each `remote:` line with spaces to clear the terminal line; a user does not see them.
        resolve({ code: code ?? 1, output: output.replace(/[ ]+$/gm, '') });
      });
    });
  }

  /**
   * Creates the app, pushes a copy of `test/fixtures/apps/<fixture>` (a git repo under `work`) and
   * waits until the router serves `serving` from it.
   */
  async deployFixture(fixture: string, app: string, work: string, serving: string): Promise<string> {
    const created = await this.request('POST', '/apps', { name: app });
    if (created.status !== 201) throw new Error(`apps:create ${app}: ${JSON.stringify(created.body)}`);
    const dir = join(work, app);
    await cp(join(ROOT, 'test', 'fixtures', 'apps', fixture), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await this.push(dir, app);
    if (push.code !== 0) throw new Error(`git push of ${fixture} to ${app} failed:\n${push.output}`);
    await this.waitFor(app, serving);
    return dir;
  }

  /** A request through the router; `fresh` opens a connection of its own instead of a pooled keep-alive one. */
  async route(app: string, path = '/', init: RequestInit & { host?: string; fresh?: boolean } = {}): Promise<{ status: number; body: string; headers: Headers }> {
    const headers = new Headers(init.headers);
    headers.set('Host', init.host ?? `${app}.localhost`);
    // fetch refuses to set Host; go through node:http instead.
    const { request } = await import('node:http');
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.routerPort, path, method: init.method ?? 'GET', headers: Object.fromEntries(headers), ...(init.fresh ? { agent: false } : {}) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: new Headers(res.headers as Record<string, string>) }));
        // A dyno stopped mid-response (a restart) cuts the body short: no 'end' comes, only 'close'.
        res.on('close', () => { if (!res.complete) reject(new Error('the response was cut short')); });
      });
      req.setTimeout(60_000, () => req.destroy(new Error('router request timed out')));
      req.on('error', reject);
      req.end(init.body as string | undefined);
    });
  }

  /** Polls the router until the app answers with `expected` in the body. */
  async waitFor(app: string, expected: string, path = '/', seconds = 90): Promise<string> {
    const deadline = Date.now() + seconds * 1000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const r = await this.route(app, path);
        last = `${r.status} ${r.body.slice(0, 200)}`;
        if (r.status === 200 && r.body.includes(expected)) return r.body;
      } catch (err) { last = String(err); }
      await sleep(300);
    }
    throw new Error(`${app} did not serve ${JSON.stringify(expected)} within ${seconds}s; last: ${last}`);
  }

  /** The app's recent log lines through a log session, as `slipway logs` reads them. */
  async logs(app: string, opts: { lines?: number; dyno?: string; source?: string } = {}): Promise<string> {
    const r = await this.request('POST', `/apps/${app}/log-sessions`, { lines: opts.lines ?? 1500, tail: false, dyno: opts.dyno, source: opts.source });
    if (r.status !== 201 && r.status !== 200) throw new Error(`log session: ${r.status} ${JSON.stringify(r.body)}`);
    const res = await fetch(r.body.logplex_url, { signal: AbortSignal.timeout(10_000) });
    return res.text();
  }

  /** Waits until the app's logs contain `pattern`. */
  /**
   * The phases of a build's deploy as the platform stored them (builds.phases), read from its store
   * once `until` is among them (those after the release come once the router answered) or after 10 s.
   */
  async phases(buildId: string, until = /first answer/): Promise<Phase[]> {
    const url = this.env.SLIPWAY_DATABASE_URL;
    const db = url ? undefined : new Sqlite(join(this.dataDir, 'slipway.db'), { readonly: true, fileMustExist: true });
    const pgClient = url ? new pg.Client({ connectionString: url }) : undefined;
    await pgClient?.connect();
    const read = async (): Promise<string | null> => (db
      ? (db.prepare('SELECT phases FROM builds WHERE id = ?').get(buildId) as { phases: string | null } | undefined)?.phases
      : (await pgClient!.query<{ phases: string | null }>('SELECT phases FROM builds WHERE id = $1', [buildId])).rows[0]?.phases) ?? null;
    try {
      let phases: Phase[] = [];
      for (let i = 0; i < 100; i++) {
        phases = parsePhases(await read());
        if (phases.some((x) => until.test(x.name))) break;
        await sleep(100);
      }
      return phases;
    } finally {
      db?.close();
      await pgClient?.end();
    }
  }

  async waitForLog(app: string, pattern: RegExp, seconds = 60): Promise<string> {
    const deadline = Date.now() + seconds * 1000;
    let text = '';
    while (Date.now() < deadline) {
      text = await this.logs(app);
      if (pattern.test(text)) return text;
      await sleep(300);
    }
    const complaints = this.output.split('\n').filter((l) => /fail|error|refused/i.test(l)).slice(-10);
    throw new Error(`logs of ${app} never matched ${pattern}:\n${text.split('\n').slice(-30).join('\n')}`
      + (complaints.length ? `\nthe platform said:\n${complaints.join('\n')}` : ''));
  }

  /** Runs the CLI against this platform. */
  async cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawn(SLIPWAY, args, {
        cwd: opts.cwd ?? ROOT,
        env: { ...process.env, SLIPWAY_HOST: this.api, SLIPWAY_API_KEY: this.key, ...opts.env },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.stdin.end(opts.input ?? '');
      const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
      p.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, stdout, stderr }); });
    });
  }

  /** Containers of this platform that runc still knows about. */
  async containers(): Promise<string[]> {
    try {
      const { stdout } = await run('runc', ['--root', join(this.dataDir, 'runtime', 'runc'), 'list', '-q']);
      return stdout.split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /**
   * SIGTERM to the platform's process group, as ctrl-C would; waits for it to exit, then fails if it left
   * anything of its own behind (a process, network namespace, mount or cgroup: leftovers.ts),
   * removing it.
   */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null && p.pid) {
      const exited = new Promise((r) => p.once('exit', r));
      try { process.kill(-p.pid, 'SIGTERM'); } catch { /* already gone */ }
      // Generous: the platform stops every dyno (SIGTERM, grace, SIGKILL) before it exits; a SIGKILL here
      // would leave its containers behind.
      const timer = setTimeout(() => { try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } }, 180_000);
      await exited;
      clearTimeout(timer);
      // An older version's leftovers (an upgrade test) are the current version's to clean up at its start.
      const left = this.launchedBin === SLIPWAY ? await lastingLeftovers(this.env.SLIPWAY_DATA_DIR ?? this.dataDir, p.pid) : [];
      if (left.length) {
        await sweep(left);
        throw new Error(`the stopped platform left behind:\n${left.join('\n')}\nits last lines:\n${this.output.trim().split('\n').slice(-15).join('\n')}`);
      }
    }
  }

  async cleanup(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await this.pg?.stop();
      if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes files into a new git repo and commits them. */
export async function makeRepo(dir: string, files: Record<string, string>, message = 'initial'): Promise<string> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const git = (...a: string[]) => run('git', a, { cwd: dir });
  if (!(await import('node:fs')).existsSync(join(dir, '.git'))) await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('-c', 'user.email=dev@example.com', '-c', 'user.name=dev', 'commit', '-q', '-m', message);
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}
