// For tests of anything with a store: the same tests on both dialects. SQLite in memory, and a real
// PostgreSQL: a throwaway cluster of Debian's server binaries (initdb) in a temp dir, owned by the
// `postgres` system user (the server refuses to run as root), on a free loopback port, durability off
// (nothing here outlives the test). One cluster per test file, started at its first use; each store
// gets a database of its own. close() stops the server and removes the dir.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { openDatabase, openStore, type OpenedStore } from './index.ts';

const run = promisify(execFile);
export type Dialect = 'sqlite' | 'postgres';

/** Debian's newest PostgreSQL server binaries, or undefined. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const v = readdirSync(root).filter((x) => existsSync(join(root, x, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))[0];
  return v && join(root, v, 'bin');
}

/** Why PostgreSQL cannot run here (the test says so when it skips), or undefined. */
export function postgresMissing(): string | undefined {
  if (!binDir()) return 'PostgreSQL is not installed (scripts/install-deps.sh installs postgresql-15)';
  if (process.getuid?.() !== 0) return 'a throwaway PostgreSQL cluster is run as the postgres user, which needs root';
  return undefined;
}

/** A free TCP port on loopback (for a test's servers). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class TestPostgres {
  private dir = '';
  private server?: ChildProcess;
  private port = 0;
  private n = 0;
  private log = '';

  static async start(): Promise<TestPostgres> {
    const p = new TestPostgres();
    await p.begin();
    return p;
  }

  /** The URL of `database` (the superuser over TCP; trust: the cluster listens on loopback only). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A new empty database; its URL. */
  async database(): Promise<string> {
    const name = `t${++this.n}_${process.pid}`;
    const c = new pg.Client({ connectionString: this.url() });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${name}`);
    } finally {
      await c.end();
    }
    return this.url(name);
  }

  private async begin(): Promise<void> {
    const bin = binDir();
    if (!bin) throw new Error(postgresMissing());
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    this.dir = await mkdtemp(join(tmpdir(), 'slipway-pg-'));
    await chown(this.dir, uid, gid);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
    await run(join(bin, 'initdb'), ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], { uid, gid, env, cwd: this.dir });
    this.port = await freePort();
    this.server = spawn(join(bin, 'postgres'), ['-D', join(this.dir, 'data'), '-c', 'listen_addresses=127.0.0.1', '-c', `port=${this.port}`,
      '-c', `unix_socket_directories=${this.dir}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'shared_buffers=16MB', '-c', 'max_connections=200'], { uid, gid, env, cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.server.stderr!.on('data', (d) => (this.log = (this.log + d).slice(-4000)));
    for (let i = 0; i < 150; i++) {
      if (this.server.exitCode !== null) throw new Error(`the test PostgreSQL exited: ${this.log}`);
      const c = new pg.Client({ connectionString: this.url() });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`the test PostgreSQL did not accept connections within 15 s: ${this.log}`);
  }

  /** Stops the server (fast shutdown: its sessions end) and removes its files. */
  async stop(): Promise<void> {
    const s = this.server;
    if (s && s.exitCode === null && s.signalCode === null) {
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGINT');
      const t = setTimeout(() => s.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The dialects a file's store tests run on, and their stores: `open(dialect)` gives a new empty store
 * (SQLite in memory; a new database in the file's one PostgreSQL cluster, started at the first use).
 */
export class TestStores {
  private pg?: Promise<TestPostgres>;
  private readonly opened: OpenedStore[] = [];
  readonly dialects: Dialect[] = ['sqlite', 'postgres'];

  /** For `describe(dialect, { skip: stores.skip(dialect) }, ...)`: why this dialect cannot run here. */
  skip(d: Dialect): string | false {
    return d === 'postgres' ? postgresMissing() ?? false : false;
  }

  /** The file's PostgreSQL cluster. */
  postgres(): Promise<TestPostgres> {
    this.pg ??= TestPostgres.start();
    return this.pg;
  }

  async open(d: Dialect): Promise<OpenedStore> {
    const store = d === 'sqlite' ? openStore(':memory:') : await openDatabase({ file: '', url: await (await this.postgres()).database() });
    this.opened.push(store);
    return store;
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((s) => s.close().catch(() => undefined)));
    if (this.pg) await (await this.pg).stop();
  }
}
