// One PostgreSQL cluster (Debian's server binaries): its directory under the add-on dir, initdb, the
// server process under the supervisor, and admin SQL through its unix socket as the `postgres` role.
//
// Layout of `<addons>/postgresql/<cluster>/` (owned by the postgres user, 0700; the server sees it as
// /mnt, see network.ts): `data/` (PGDATA), `run/` (the unix socket), `server.crt`/`server.key` (a
// self-signed certificate: Heroku's databases take TLS and clients are told not to verify it),
// `server.log`. Admin connections come from root over the socket, mapped to `postgres` by pg_ident;
// app roles connect over TCP with scram-sha-256 passwords.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { AddonNetwork } from '../network.ts';
import { SERVER_ENV, type Supervisor } from '../supervisor.ts';
import { systemUser } from '../system-user.ts';
import { runCommand as run } from '../../supervise/command.ts';

export const PG_USER = 'postgres';

/** The newest PostgreSQL under /usr/lib/postgresql (Debian's layout), e.g. /usr/lib/postgresql/15/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed (scripts/install-deps.sh installs postgresql-15)');
  return join(root, newest, 'bin');
}

export interface ClusterOptions {
  name: string;
  dir: string;
  port: number;
  maxConnections: number;
  network: AddonNetwork;
  supervisor: Supervisor;
}

/**
 * Where a restored backup leaves a cluster's dump (pg_dumpall) for the cluster to load at its first start:
 * beside the cluster's dir, which initialization empties.
 */
export function restoreDumpFile(clusterDir: string): string {
  return join(clusterDir, '..', '..', 'restore', 'postgresql', `${basename(clusterDir)}.sql`);
}

export class Cluster {
  readonly bin = postgresBinDir();
  constructor(readonly o: ClusterOptions) {}

  get label(): string {
    return `postgresql ${this.o.name}`;
  }

  get socketDir(): string {
    return join(this.o.dir, 'run');
  }

  async ensureInitialized(): Promise<void> {
    if (existsSync(join(this.o.dir, 'data', 'PG_VERSION'))) return;
    const { uid, gid } = await systemUser(PG_USER);
    await rm(this.o.dir, { recursive: true, force: true });
    await mkdir(join(this.o.dir, 'run'), { recursive: true, mode: 0o700 });
    await chown(this.o.dir, uid, gid);
    await chown(join(this.o.dir, 'run'), uid, gid);
    await run('openssl', ['req', '-new', '-x509', '-days', '3650', '-nodes', '-subj', '/CN=slipway-postgresql',
      '-keyout', join(this.o.dir, 'server.key'), '-out', join(this.o.dir, 'server.crt')]);
    for (const f of ['server.key', 'server.crt']) await chown(join(this.o.dir, f), uid, gid);
    const [cmd, args] = this.o.network.wrap(PG_USER, this.o.dir, [join(this.bin, 'initdb'), '-D', '/mnt/data', '-U', 'postgres',
      '--auth-local=peer', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
    try {
      await run(cmd, args, { env: { ...SERVER_ENV } });
    } catch (err) {
      throw new Error(`initdb failed: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
    }
    const data = join(this.o.dir, 'data');
    await writeFile(join(data, 'pg_hba.conf'), [
      '# Written by Slipway: the platform (root over the socket) is the superuser; apps use passwords over TCP.',
      'local   all   postgres            peer map=admin',
      'host    all   postgres  0.0.0.0/0 reject',
      'host    all   all       0.0.0.0/0 scram-sha-256',
      '',
    ].join('\n'));
    await writeFile(join(data, 'pg_ident.conf'), 'admin root postgres\nadmin postgres postgres\n');
    for (const f of ['pg_hba.conf', 'pg_ident.conf']) await chown(join(data, f), uid, gid);
  }

  private starting?: Promise<void>;

  /** Initializes (once) and starts the server unless it runs; concurrent provisions share one start. */
  start(): Promise<void> {
    if (this.o.supervisor.has(this.label)) return Promise.resolve();
    this.starting ??= this.startNow().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startNow(): Promise<void> {
    const restoring = existsSync(restoreDumpFile(this.o.dir)) && !existsSync(join(this.o.dir, 'data', 'PG_VERSION'));
    await this.ensureInitialized();
    await this.o.supervisor.start({
      name: this.label,
      command: this.o.network.wrap(PG_USER, this.o.dir, [join(this.bin, 'postgres'), '-D', '/mnt/data',
        '-c', `listen_addresses=${this.o.network.address}`, '-c', `port=${this.o.port}`, '-c', 'unix_socket_directories=/mnt/run',
        '-c', `max_connections=${this.o.maxConnections}`, '-c', 'superuser_reserved_connections=3', '-c', 'shared_buffers=32MB',
        '-c', 'ssl=on', '-c', 'ssl_cert_file=/mnt/server.crt', '-c', 'ssl_key_file=/mnt/server.key',
        '-c', 'password_encryption=scram-sha-256', '-c', 'logging_collector=off']),
      logFile: join(this.o.dir, 'server.log'),
      pidFile: join(this.o.dir, 'data', 'postmaster.pid'),
      comm: 'postgres',
      stopSignal: 'SIGINT',
      ready: async () => {
        await run(join(this.bin, 'pg_isready'), ['-q', '-h', this.socketDir, '-p', String(this.o.port), '-U', 'postgres']);
        return true;
      },
    });
    if (restoring) await this.loadRestoredDump();
  }

  /** A restored backup's dump: its roles (with their passwords), databases and data, loaded once. */
  private async loadRestoredDump(): Promise<void> {
    const file = restoreDumpFile(this.o.dir);
    // Without ON_ERROR_STOP: the dump's `CREATE ROLE postgres` meets the role initdb made, and goes on.
    await this.tool('psql', ['-X', '-q', '-d', 'postgres', '-f', file]);
    await rm(file, { force: true });
  }

  stop(): Promise<void> {
    return this.o.supervisor.stop(this.label);
  }

  /** Runs SQL as the superuser (statements one by one, stopping at the first error); returns psql's -At output. */
  sql(sql: string, database = 'postgres'): Promise<string> {
    return this.tool('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', database, '-f', '-'], sql);
  }

  /** A client tool (psql, pg_dump, pg_restore) as the superuser over the socket; `input` is its stdin. */
  tool(name: string, args: string[], input?: string | NodeJS.ReadableStream, output?: NodeJS.WritableStream): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(this.bin, name), ['-h', this.socketDir, '-p', String(this.o.port), '-U', 'postgres', ...args], {
        stdio: ['pipe', 'pipe', 'pipe'], env: { ...SERVER_ENV, PGAPPNAME: 'slipway' }, detached: true,
      });
      let out = '';
      let err = '';
      if (output) child.stdout.pipe(output);
      else child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err = (err + d).slice(-8192)));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${name}: ${err.trim() || `exit ${code}`}`))));
      child.stdin.on('error', () => undefined);
      if (typeof input === 'string') child.stdin.end(input);
      else if (input) {
        // A dump file gone or unreadable fails the tool, never the platform (an unhandled stream error).
        input.on('error', (e) => {
          child.kill('SIGKILL');
          reject(e);
        });
        input.pipe(child.stdin);
      }
      else child.stdin.end();
    });
  }

  /** Removes the cluster's files (after stop()). */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.o.dir, { recursive: true, force: true });
  }
}
