// The Redis provider (Heroku Key-Value Store, and Redis To Go by the same means): one Debian
// redis-server per add-on, run as the redis user in the add-on network, its files in its own dir
// (`<addons>/redis/<add-on id>/`, seen by the server as /mnt): redis.conf, the append-only file
// (fsync every second) and an RDB snapshot, so its data survives restarts of the platform.
// Access is by ACL: the app's user (`default`, or `redistogo` for Redis To Go, whose URLs named it)
// with a random password and no admin commands; the platform's own `slipway` user over the unix socket.
// maxmemory and maxclients come from the plan; the eviction policy is `noeviction`, as on Heroku.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddonNetwork } from '../network.ts';
import { systemUser } from '../system-user.ts';
import { SERVER_ENV, startEach, stopLeftover, type Supervisor } from '../supervisor.ts';
import type { AddonProvider, InfoLine, Plan, Provisioned, Resource } from '../types.ts';
import { runCommand as run } from '../../supervise/command.ts';

const REDIS_USER = 'redis';
export const FIRST_PORT = 6379;
/** Seconds an idle client may stay connected (Heroku's commonly cited default). */
const IDLE_TIMEOUT = 300;

export interface RedisState {
  port: number;
  password: string;
  adminPassword: string;
  /** Clients connect with TLS (a self-signed certificate, not verified by clients, as on Heroku). */
  tls?: boolean;
  [k: string]: unknown;
}

export interface RedisProviderOptions {
  dir: string;
  network: AddonNetwork;
  supervisor: Supervisor;
}

const secret = () => `p${randomBytes(32).toString('hex')}`;

export class RedisProvider implements AddonProvider {
  readonly name = 'redis';
  private readonly ports = new Map<string, number>();

  constructor(private readonly o: RedisProviderOptions) {}

  private dirOf(r: Resource): string {
    return join(this.o.dir, r.addonId);
  }

  private label(r: Resource): string {
    return `redis ${r.addonName}`;
  }

  async start(resources: Resource[]): Promise<void> {
    for (const r of resources) this.ports.set(r.addonId, (r.state as RedisState).port);
    const needed = new Set(resources.map((r) => r.addonId));
    for (const id of await readdir(this.o.dir).catch(() => [] as string[])) {
      if (!needed.has(id)) await stopLeftover({ pidFile: join(this.o.dir, id, 'redis.pid'), comm: 'redis-server', stopSignal: 'SIGTERM' });
    }
    await startEach(resources.map((r) => () => this.startServer(r)));
  }

  async stop(): Promise<void> {
    // The supervisor stops every server; nothing of ours to stop besides.
  }

  async prepare(r: Omit<Resource, 'state'>): Promise<RedisState> {
    const used = new Set(this.ports.values());
    let port = FIRST_PORT;
    while (used.has(port)) port++;
    this.ports.set(r.addonId, port);
    return { port, password: secret(), adminPassword: secret(), tls: r.service.tls === true };
  }

  async provision(r: Resource): Promise<Provisioned> {
    try {
      await this.writeConfig(r);
      await this.startServer(r);
    } catch (err) {
      await this.deprovision(r).catch(() => undefined);
      throw err;
    }
    return { state: r.state, config: { URL: this.url(r) } };
  }

  async deprovision(r: Resource): Promise<void> {
    await this.o.supervisor.stop(this.label(r));
    await rm(this.dirOf(r), { recursive: true, force: true });
    this.ports.delete(r.addonId);
  }

  async changePlan(r: Resource, to: Plan): Promise<Provisioned> {
    const next = { ...r, plan: to };
    await this.writeConfig(next);
    await this.admin(r, ['CONFIG', 'SET', 'maxmemory', String(to.limits.memory)]);
    await this.admin(r, ['CONFIG', 'SET', 'maxclients', String(to.limits.connections)]);
    return { state: r.state, config: { URL: this.url(next) } };
  }

  async rotateCredentials(r: Resource): Promise<Provisioned> {
    const next = { ...r, state: { ...r.state, password: secret() } };
    await this.writeConfig(next);
    for (const user of this.appUsers(r)) {
      await this.admin(r, ['ACL', 'SETUSER', user, 'resetpass', `>${(next.state as RedisState).password}`]);
      await this.admin(r, ['CLIENT', 'KILL', 'USER', user]).catch(() => undefined);
    }
    return { state: next.state, config: { URL: this.url(next) } };
  }

  async info(r: Resource): Promise<InfoLine[]> {
    const text = await this.admin(r, ['INFO']);
    const v = Object.fromEntries(text.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.split(':', 2) as [string, string]));
    return [
      ['Plan', r.plan.humanName],
      ['Status', 'available'],
      ['Created', r.createdAt ? r.createdAt.slice(0, 16).replace('T', ' ') : ''],
      ['Version', v.redis_version ?? 'unknown'],
      ['Timeout', String(IDLE_TIMEOUT)],
      ['Maxmemory', `${v.maxmemory_human ?? ''} (${v.maxmemory_policy ?? 'noeviction'})`],
      ['Memory Used', v.used_memory_human ?? 'unknown'],
      ['Clients', `${Number(v.connected_clients ?? 1) - 1}/${r.plan.limits.connections}`],
      ['Keys', (text.match(/^db\d+:keys=(\d+)/m)?.[1]) ?? '0'],
    ].filter(([, value]) => value !== '') as InfoLine[];
  }

  url(r: Resource): string {
    const s = r.state as RedisState;
    return `${s.tls ? 'rediss' : 'redis'}://${r.service.urlUser ?? ''}:${s.password}@${this.o.network.address}:${s.port}`;
  }

  private appUsers(r: Resource): string[] {
    return r.service.urlUser ? ['default', r.service.urlUser] : ['default'];
  }

  private async writeConfig(r: Resource): Promise<void> {
    const s = r.state as RedisState;
    const dir = this.dirOf(r);
    const { uid, gid } = await systemUser(REDIS_USER);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chown(dir, uid, gid);
    const appAcl = `on >${s.password} ~* &* +@all -@admin`;
    if (s.tls && !existsSync(join(dir, 'tls.key'))) {
      await run('openssl', ['req', '-new', '-x509', '-days', '3650', '-nodes', '-subj', '/CN=slipway-redis',
        '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')]);
      for (const f of ['tls.key', 'tls.crt']) await chown(join(dir, f), uid, gid);
    }
    const listen = s.tls
      ? ['port 0', `tls-port ${s.port}`, 'tls-cert-file /mnt/tls.crt', 'tls-key-file /mnt/tls.key', 'tls-auth-clients no']
      : [`port ${s.port}`];
    const conf = [
      '# Written by Slipway from the add-on\'s plan; changes are overwritten.',
      `bind ${this.o.network.address}`, ...listen, 'protected-mode no',
      'unixsocket /mnt/redis.sock', 'unixsocketperm 700', 'pidfile /mnt/redis.pid', 'dir /mnt', 'daemonize no', 'logfile ""',
      'appendonly yes', 'appendfsync everysec', 'save 3600 1 300 100 60 10000',
      `maxmemory ${r.plan.limits.memory}`, 'maxmemory-policy noeviction', `maxclients ${r.plan.limits.connections}`,
      `timeout ${IDLE_TIMEOUT}`,
      ...this.appUsers(r).map((u) => `user ${u} ${appAcl}`),
      `user slipway on >${s.adminPassword} ~* &* +@all`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'redis.conf'), conf, { mode: 0o600 });
    await chown(join(dir, 'redis.conf'), uid, gid);
  }

  private async startServer(r: Resource): Promise<void> {
    const dir = this.dirOf(r);
    await this.o.supervisor.start({
      name: this.label(r),
      command: this.o.network.wrap(REDIS_USER, dir, ['/usr/bin/redis-server', '/mnt/redis.conf']),
      logFile: join(dir, 'server.log'),
      pidFile: join(dir, 'redis.pid'),
      comm: 'redis-server',
      stopSignal: 'SIGTERM',
      ready: async () => (await this.admin(r, ['PING'])) === 'PONG',
    });
  }

  /**
   * A command as the platform's admin user over the unix socket; returns redis-cli's raw output. The
   * command goes in on stdin, so a password it carries never shows in a process list.
   */
  private admin(r: Resource, args: string[]): Promise<string> {
    const s = r.state as RedisState;
    return new Promise((resolve, reject) => {
      const child = spawn('redis-cli', ['-s', join(this.dirOf(r), 'redis.sock'), '--user', 'slipway', '--no-auth-warning'], {
        env: { ...SERVER_ENV, REDISCLI_AUTH: s.adminPassword }, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => {
        const text = out.trim();
        if (code !== 0 || /^(ERR|NOPERM|WRONGPASS|NOAUTH)/.test(text)) reject(new Error(`redis-cli ${args[0]}: ${(err || text || `exit ${code}`).trim()}`));
        else resolve(text);
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${args.join(' ')}\n`);
    });
  }
}
