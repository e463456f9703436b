// The PostgreSQL provider (Heroku Postgres). Essential plans: a database and a role on one shared
// cluster, the role's CONNECTION LIMIT from the plan and CONNECT revoked from everyone else, so one
// app's role cannot open another's database. Standard/premium plans: a cluster of their own (its own
// server process, port and files). Passwords are `p` + 64 hex characters from the system CSPRNG.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AddonNetwork } from '../network.ts';
import { SERVER_ENV, startEach, stopLeftover, type Supervisor } from '../supervisor.ts';
import type { AddonProvider, InfoLine, Plan, Provisioned, Resource } from '../types.ts';
import { Cluster } from './cluster.ts';
import { lift, overLimits, ownerRole, restrict, usage } from './limits.ts';

export const SHARED_PORT = 5432;

export interface PgState {
  cluster: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Over the plan's limits: only reading, DELETE and TRUNCATE allowed (limits.ts). */
  restricted?: boolean;
  [k: string]: unknown;
}

export interface PostgresProviderOptions {
  /** `<addons dir>/postgresql`. */
  dir: string;
  network: AddonNetwork;
  supervisor: Supervisor;
}

const alnum = (n: number) => {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
};
export const newPassword = () => `p${randomBytes(32).toString('hex')}`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class PostgresProvider implements AddonProvider {
  readonly name = 'postgresql';
  private readonly clusters = new Map<string, Cluster>();

  constructor(private readonly o: PostgresProviderOptions) {}

  private cluster(name: string, port: number, maxConnections: number): Cluster {
    let c = this.clusters.get(name);
    if (!c) {
      c = new Cluster({ name, dir: join(this.o.dir, name), port, maxConnections, network: this.o.network, supervisor: this.o.supervisor });
      this.clusters.set(name, c);
    }
    return c;
  }

  /** The shared cluster holds every essential database; 100 connections beyond the plans' own limits. */
  private shared(): Cluster {
    return this.cluster('shared', SHARED_PORT, 200);
  }

  private clusterOf(r: { state: PgState | Record<string, unknown>; plan: Plan }): Cluster {
    const s = r.state as PgState;
    return s.cluster === 'shared' ? this.shared() : this.cluster(s.cluster, s.port, r.plan.limits.connections! + 10);
  }

  async start(resources: Resource[]): Promise<void> {
    const needed = new Map<string, Cluster>();
    for (const r of resources) {
      const c = this.clusterOf(r);
      needed.set(c.o.name, c);
    }
    // Servers on disk no add-on needs (a killed platform's, or one whose last database moved away) stop.
    for (const name of await readdir(this.o.dir).catch(() => [] as string[])) {
      if (!needed.has(name)) await stopLeftover({ pidFile: join(this.o.dir, name, 'data', 'postmaster.pid'), comm: 'postgres', stopSignal: 'SIGINT' });
    }
    await startEach([...needed.values()].map((c) => () => c.start()));
  }

  async stop(): Promise<void> {
    for (const c of this.clusters.values()) await c.stop();
  }

  async prepare(r: Omit<Resource, 'state'>): Promise<PgState> {
    const dedicated = r.plan.tenancy === 'dedicated';
    const state: PgState = {
      cluster: dedicated ? r.addonId : 'shared',
      port: dedicated ? await this.freePort() : SHARED_PORT,
      user: `u${alnum(13)}`, password: newPassword(), database: `d${alnum(13)}`,
    };
    this.clusterOf({ state, plan: r.plan }); // holds the port for the next prepare
    return state;
  }

  async provision(resource: Resource): Promise<Provisioned> {
    const r = resource;
    const state = r.state as PgState;
    try {
      const c = this.clusterOf(resource);
      await c.start();
      await this.lockDown(c);
      await this.createDatabase(c, state, r.plan);
    } catch (err) {
      await this.deprovision(resource).catch(() => undefined);
      throw err;
    }
    return { state, config: { URL: this.url(state) }, message: 'Database has been created and is available' };
  }

  private async lockDown(c: Cluster): Promise<void> {
    await c.sql('REVOKE ALL ON DATABASE postgres FROM PUBLIC; REVOKE ALL ON DATABASE template1 FROM PUBLIC;');
  }

  private async createDatabase(c: Cluster, s: PgState, plan: Plan): Promise<void> {
    await c.sql([
      `CREATE ROLE ${ident(s.user)} LOGIN PASSWORD ${literal(s.password)} CONNECTION LIMIT ${plan.limits.connections};`,
      `CREATE DATABASE ${ident(s.database)} OWNER ${ident(s.user)};`,
      `REVOKE ALL ON DATABASE ${ident(s.database)} FROM PUBLIC;`,
      `GRANT ALL ON DATABASE ${ident(s.database)} TO ${ident(s.user)};`,
    ].join('\n'));
  }

  async deprovision(r: Resource): Promise<void> {
    const s = r.state as PgState;
    const c = this.clusterOf(r);
    if (s.cluster !== 'shared') {
      await c.destroy();
      this.clusters.delete(s.cluster);
      return;
    }
    await c.start();
    await c.sql(`DROP DATABASE IF EXISTS ${ident(s.database)} WITH (FORCE);\nDROP ROLE IF EXISTS ${ident(s.user)};\nDROP ROLE IF EXISTS ${ident(ownerRole(s.user))};`);
  }

  /**
   * Measures the database against its plan and restricts or restores access when that changed; returns
   * the new state then, else undefined.
   */
  async enforce(r: Resource): Promise<PgState | undefined> {
    const s = r.state as PgState;
    const c = this.clusterOf(r);
    const over = overLimits(await usage(c, s.database), r.plan);
    const shouldRestrict = over.storage || over.tables;
    if (shouldRestrict === !!s.restricted) return undefined;
    await (shouldRestrict ? restrict(c, s) : lift(c, s));
    return { ...s, restricted: shouldRestrict };
  }

  async changePlan(r: Resource, to: Plan): Promise<Provisioned> {
    const s = r.state as PgState;
    if ((to.tenancy === 'dedicated') === (s.cluster !== 'shared')) {
      const c = this.clusterOf({ ...r, plan: to });
      if (s.cluster !== 'shared') {
        // A dedicated cluster's max_connections follows the plan: restart it with the new figure.
        await c.stop();
        this.clusters.delete(s.cluster);
        await this.clusterOf({ ...r, plan: to }).start();
      }
      await this.clusterOf({ ...r, plan: to }).sql(`ALTER ROLE ${ident(s.user)} CONNECTION LIMIT ${to.limits.connections};`);
      return { state: s, config: { URL: this.url(s) } };
    }
    // Between shared and dedicated: the same role and password on the new server, the data copied with
    // pg_dump | pg_restore, then the old database removed.
    const next: PgState = {
      ...s, cluster: to.tenancy === 'dedicated' ? r.addonId : 'shared', port: to.tenancy === 'dedicated' ? await this.freePort() : SHARED_PORT, restricted: false,
    };
    const target = { ...r, plan: to, state: next };
    const from = this.clusterOf(r);
    const into = this.clusterOf(target);
    try {
      await into.start();
      await this.lockDown(into);
      await this.createDatabase(into, next, to);
      await copyDatabase(from, into, s.database, next.user);
    } catch (err) {
      await this.deprovision(target).catch(() => undefined);
      throw err;
    }
    await this.deprovision(r);
    return { state: next, config: { URL: this.url(next) } };
  }

  async rotateCredentials(r: Resource): Promise<Provisioned> {
    const s = { ...(r.state as PgState), password: newPassword() };
    const c = this.clusterOf(r);
    await c.sql([
      `ALTER ROLE ${ident(s.user)} PASSWORD ${literal(s.password)};`,
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ${literal(s.user)};`,
    ].join('\n'));
    return { state: s, config: { URL: this.url(s) } };
  }

  async info(r: Resource): Promise<InfoLine[]> {
    const s = r.state as PgState;
    const u = await usage(this.clusterOf(r), s.database);
    const over = overLimits(u, r.plan);
    const storage = r.plan.limits.storage!;
    const pct = ((u.size / storage) * 100).toFixed(2);
    const lines: InfoLine[] = [
      ['Plan', r.plan.tenancy === 'shared' ? r.plan.name : r.plan.humanName],
      ['Status', s.restricted ? 'Over Plan Capacity: Access Restricted' : over.storage || over.tables ? 'Over Plan Capacity: Action Required' : 'Available'],
      ['Connections', `${u.connections}/${r.plan.limits.connections}`],
      ['PG Version', u.version],
      ...(r.createdAt ? [['Created', r.createdAt.slice(0, 16).replace('T', ' ')] as InfoLine] : []),
      ['Data Size', `${humanBytes(u.size)} / ${humanBytes(storage)} (${pct}%) (${over.storage ? 'Over Plan Capacity' : 'In compliance'})`],
    ];
    if (r.plan.limits.tables) lines.push(['Tables', `${u.tables}/${r.plan.limits.tables} (${over.tables ? 'Over Plan Capacity' : 'In compliance'})`]);
    lines.push(['Fork/Follow', r.plan.tenancy === 'shared' ? 'Unsupported' : 'Available'], ['Rollback', 'Unsupported'], ['Add-on', r.addonName]);
    return lines;
  }

  /** pg_dump (custom format) of the add-on's database into `file`. */
  async dump(r: Resource, file: string): Promise<void> {
    const s = r.state as PgState;
    await this.clusterOf(r).tool('pg_dump', ['-Fc', '--no-owner', '--no-acl', '-d', s.database], undefined, createWriteStream(file));
  }

  /** pg_restore of a custom-format dump into the add-on's database, replacing what the dump holds. */
  async restore(r: Resource, file: string): Promise<void> {
    const s = r.state as PgState;
    await this.clusterOf(r).tool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--no-acl', '--role', s.user, '-d', s.database], createReadStream(file));
  }

  /** The connection settings psql needs (pg:psql). */
  url(s: PgState): string {
    return `postgres://${s.user}:${s.password}@${this.o.network.address}:${s.port}/${s.database}`;
  }

  serverPorts(): number[] {
    return [...this.clusters.values()].map((c) => c.o.port);
  }

  private async freePort(): Promise<number> {
    const used = new Set([SHARED_PORT, ...[...this.clusters.values()].map((c) => c.o.port)]);
    for (let p = SHARED_PORT + 1; ; p++) if (!used.has(p)) return p;
  }

  /** Ports of dedicated clusters recorded in the store but not started yet (called before any provision). */
  reserve(resources: Resource[]): void {
    for (const r of resources) this.clusterOf(r);
  }
}

async function copyDatabase(from: Cluster, into: Cluster, database: string, role: string): Promise<void> {
  // Streamed: pg_dump's stdout feeds pg_restore's stdin.
  const args = (c: Cluster) => ['-h', c.socketDir, '-p', String(c.o.port), '-U', 'postgres'];
  const dumper = spawn(join(from.bin, 'pg_dump'), [...args(from), '-Fc', '--no-owner', '--no-acl', '-d', database], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...SERVER_ENV } });
  const restorer = spawn(join(into.bin, 'pg_restore'), [...args(into), '--no-owner', '--no-acl', '--role', role, '-d', database], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...SERVER_ENV } });
  let err = '';
  dumper.stderr.on('data', (d) => (err += d));
  restorer.stderr.on('data', (d) => (err += d));
  const done = (p: ReturnType<typeof spawn>) => new Promise<number>((res) => p.on('close', (code) => res(code ?? 1)));
  await pipeline(dumper.stdout, restorer.stdin);
  const [a, b] = await Promise.all([done(dumper), done(restorer)]);
  if (a !== 0 || b !== 0) throw new Error(`copying the data failed: ${err.trim()}`);
}

export function humanBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${v} bytes` : `${Number.isInteger(v) ? v : v.toFixed(2)} ${units[u]}`;
}
