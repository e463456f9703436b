// The control plane of the HAProxy data path. It runs HAProxy (master-worker, foreground, one child
// of the platform), keeps it in step with the dyno manager's view, and turns its log lines into
// Heroku's router lines.
//   - Up web dynos → server slots, changed through the runtime API (`set server ... addr/state`):
//     no reload for scaling, restarts or crashes.
//   - Apps, their hosts and maintenance → the config and the Host map: a change rewrites both and
//     reloads (SIGUSR2 to the master; old workers finish their requests).
//   - Log lines arrive over TCP on loopback (HAProxy's log ring forwards them, newline-delimited);
//     each becomes one `heroku[router]` line in the app's stream and marks the app as requested (idling).
// One sync runs at a time; changes arriving meanwhile coalesce into one more pass. Which slot serves
// which dyno is slots.ts (pure); HAProxy's sockets are spoken to by sockets.ts; starting and stopping
// the process (leftovers, grace, readiness) is the platform's shared supervision (supervise/).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LogSink } from '../../logs/types.ts';
import { lookupHost } from '../hosts.ts';
import { appPages, APPLICATION_ERROR_PAGE } from '../pages.ts';
import type { RouteSnapshotApp } from '../../dynos/routes.ts';
import type { UpDyno } from './slots.ts';
import type { CertTable, ServedCert } from '../certs.ts';
import { cmdlineHas, running, stopChild, stopLeftover, waitReady } from '../../supervise/index.ts';
import { runCommand, type CommandError } from '../../supervise/command.ts';
import { crtList, haproxyConfig, hostsMap, type HaproxyApp, type HaproxyTimeouts } from './config.ts';
import { routerLine } from './logline.ts';
import { enterJail } from './jail.ts';
import { haproxyCommand } from './sockets.ts';
import { DRAIN_MS, SlotTable } from './slots.ts';
import { componentLogger, type Logger } from '../../logger/index.ts';

export interface RouteSource {
  routeSnapshot(): RouteSnapshotApp[];
  onChange(listener: () => void): () => void;
  touched(appId: string): void;
}

export interface HaproxyControllerOptions {
  dir: string;
  listen: { host: string; port: number };
  domain: string;
  routes: RouteSource;
  logs: LogSink;
  timeouts: HaproxyTimeouts;
  /** HAProxy's worker threads (SLIPWAY_ROUTER_THREADS); unset: one per core. */
  threads?: number;
  /** Where the Node router listens for what HAProxy cannot answer itself: inside HAProxy's jail (`prepareJail`), listening before `start`. */
  fallbackSocket: string;
  /** The TLS port and its default certificate (PEM: chain + key); certificates by SNI come from `certs`. */
  tls?: { port: number; defaultPem: string; certs: CertTable };
  /** Each request HAProxy finished (status, ms, bytes, H-code), for the router metrics; `at`: when its batch of log lines arrived. */
  onRequest?: (appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined, code: string | undefined, at?: number) => void;
  binary?: string;
  logger?: Logger;
}

const START_TIMEOUT_MS = 10_000;

/** An HAProxy error file: the whole 503 response the client gets for 502/503/504. */
function errorResponse(page: string): string {
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(page)}\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n${page}`;
}

/** Whether an `haproxy` binary runs here (SLIPWAY_ROUTER=auto picks HAProxy then). */
export function haproxyAvailable(binary = 'haproxy'): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn(binary, ['-v'], { stdio: 'ignore' });
    p.once('error', () => resolve(false));
    p.once('exit', (code) => resolve(code === 0));
  });
}

export class HaproxyController {
  private child?: ChildProcess;
  private logServer?: Server;
  private readonly logSockets = new Set<Socket>();
  private logPort = 0;
  /** What the running worker has: its config's shape, and each slot's address (`host:port`). */
  private appliedShape = '';
  /** The server slots as the running worker has them. */
  private readonly slots = new SlotTable();
  private drainTimer?: NodeJS.Timeout;
  /** Host → app id, as the running config maps them (for lines of requests that never reached a backend). */
  private readonly hostApps = new Map<string, string>();
  private syncing = false;
  private again = false;
  private closed = false;
  private unsubscribe?: () => void;
  private exited?: Promise<void>;
  /** The workers' jail, and the Node router's socket as they see it. */
  private jail?: Awaited<ReturnType<typeof enterJail>>;
  /** Why HAProxy is not serving (between its exit and its restart). */
  private down?: string;
  private restartDelayMs = 1000;
  private restartTimer?: NodeJS.Timeout;
  private launching = false;

  private readonly logger: Logger;

  constructor(private readonly o: HaproxyControllerOptions) {
    this.logger = componentLogger(o.logger, 'router');
  }

  private get paths() {
    const d = this.o.dir;
    return { statsSocket: join(d, 'haproxy.sock'), fallbackSocket: this.jail?.fallbackSocket ?? this.o.fallbackSocket, hostsMap: join(d, 'hosts.map'), errorFile: join(d, '503.http') };
  }

  private get configFile() { return join(this.o.dir, 'haproxy.cfg'); }

  private get pidFile() { return join(this.o.dir, 'haproxy.pid'); }

  /** The master's CLI: how many reloads it did (and how many failed), and its current worker. */
  private get masterSocket() { return join(this.o.dir, 'master.sock'); }

  /** An HAProxy this data dir started before a crash of the platform: stopped before ours starts. */
  private stopLeftover(): Promise<void> {
    return stopLeftover({ pidFile: this.pidFile, ours: (pid) => cmdlineHas(pid, this.configFile), signal: 'SIGTERM', graceMs: 5000, pollMs: 50 });
  }

  async start(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    await writeFile(this.paths.errorFile, errorResponse(APPLICATION_ERROR_PAGE));
    this.jail = await enterJail(this.o.dir, this.o.fallbackSocket);
    this.logServer = createServer((socket) => this.readLogs(socket));
    await new Promise<void>((resolve, reject) => {
      this.logServer!.once('error', reject);
      this.logServer!.listen(0, '127.0.0.1', () => resolve());
    });
    this.logPort = (this.logServer.address() as { port: number }).port;
    await this.launch();
    const offRoutes = this.o.routes.onChange(() => this.schedule());
    const offCerts = this.o.tls?.certs.onChange(() => this.schedule());
    this.unsubscribe = () => { offRoutes(); offCerts?.(); };
    this.schedule();
  }

  /** Why the router's HAProxy is not serving now (it exited and is being restarted), or undefined. */
  problem(): string | undefined {
    return this.down;
  }

  /** Writes the config from the current routes and starts HAProxy on it; resolves once a worker serves. */
  private async launch(): Promise<void> {
    this.launching = true;
    try {
      await this.spawnServing();
    } finally {
      this.launching = false;
    }
  }

  private async spawnServing(): Promise<void> {
    await rm(this.paths.statsSocket, { force: true });
    const apps = this.desired();
    const certs = this.certs();
    await this.writeChecked(apps, certs);
    await this.stopLeftover();
    // setpriv's parent-death signal: if the platform is killed outright, HAProxy goes with it instead
    // of holding the router port; a leftover from before that is stopped above through its pid file.
    await rm(this.masterSocket, { force: true });
    const argv = [this.o.binary ?? 'haproxy', '-W', '-db', '-S', this.masterSocket, '-p', this.pidFile, '-f', this.configFile];
    const child = spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    const keep = (d: Buffer) => { output = (output + d.toString()).slice(-4000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      resolve();
      if (this.closed || this.child !== child) return;
      this.down = `haproxy exited (${signal ?? `status ${code}`}); restarting it`;
      this.logger.error(`haproxy exited (${signal ?? code}); the router port does not answer until it is restarted:\n${output}`);
      if (!this.launching) this.restartLater();
    }));
    child.once('error', (err) => this.logger.error(`could not run haproxy: ${err.message}`));
    await this.waitForWorker(undefined, () => output);
    this.remember(apps, this.shape(apps, certs));
    this.down = undefined;
  }

  /**
   * HAProxy died under a running platform (killed, crashed): started again from the current routes
   * after a back-off (1 s, doubling to 30 s while restarts keep failing), until the platform stops.
   */
  private restartLater(): void {
    if (this.closed) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, 30_000);
    this.restartTimer = setTimeout(() => {
      void this.launch().then(() => {
        this.restartDelayMs = 1000;
        this.logger.info('haproxy restarted; the router port answers again');
        this.schedule();
      }, async (err: Error) => {
        this.down = `haproxy could not be restarted: ${err.message.split('\n')[0]}`;
        this.logger.error(`restarting haproxy failed (next try in ${this.restartDelayMs / 1000} s): ${err.message}`);
        if (this.child && running(this.child)) { this.child.kill('SIGKILL'); await this.exited; }
        this.restartLater();
      });
    }, delay);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.drainTimer);
    clearTimeout(this.restartTimer);
    if (this.child) await stopChild(this.child, this.exited ?? Promise.resolve(), 'SIGTERM', 5000);
    for (const s of this.logSockets) s.destroy();
    await new Promise((r) => this.logServer?.close(r) ?? r(undefined));
    await rm(this.paths.statsSocket, { force: true });
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.syncing) { this.again = true; return; }
    this.syncing = true;
    setImmediate(() => void this.syncLoop());
  }

  private async syncLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.sync();
      } while (this.again && !this.closed);
    } catch (err) {
      if (!this.closed) this.logger.error({ err }, 'updating haproxy failed');
    } finally {
      this.syncing = false;
    }
  }

  /** The apps as the route source sees them, each up dyno with the slot it has (or gets) in HAProxy. */
  private desired(): (HaproxyApp & { up: UpDyno[]; errorPageUrl?: string })[] {
    return this.o.routes.routeSnapshot().map((a) => {
      // The app's own error page (ERROR_PAGE_URL) becomes its backend's error file.
      const errorFile = a.errorPageUrl ? join(this.o.dir, 'pages', `${a.id}.http`) : undefined;
      return {
        id: a.id, maintenance: a.maintenance, hosts: [`${a.name}.${this.o.domain}`.toLowerCase(), ...a.domains],
        servers: this.slots.assign(a.id, a.up), up: a.up, errorFile, errorPageUrl: a.errorPageUrl,
      };
    });
  }

  /** What a reload is needed for: apps, their hosts and maintenance, the served certificates. */
  private shape(apps: (HaproxyApp & { errorPageUrl?: string })[], certs: ServedCert[]): string {
    return JSON.stringify([apps.map((a) => [a.id, a.hosts, a.maintenance, a.errorPageUrl]), certs]);
  }

  /** After a (re)load: the running worker's slots are exactly what the config said. */
  private remember(apps: HaproxyApp[], shape: string): void {
    this.appliedShape = shape;
    this.hostApps.clear();
    for (const a of apps) for (const h of a.hosts) this.hostApps.set(h, a.id);
    this.slots.loaded(apps);
  }

  /** Slots follow the dynos through the runtime API (slots.ts); apps, hosts or certificates changed: a reload. */
  private async sync(): Promise<void> {
    // While HAProxy is down, the restart writes the config from the routes as they are then.
    if (this.down !== undefined || this.launching) return;
    const apps = this.desired();
    const { commands, draining } = this.slots.update(new Map(apps.map((a) => [a.id, a.up])), Date.now());
    if (commands.length > 0) {
      const reply = await this.runtime(commands);
      if (/No such (server|backend)|Require|Unknown/i.test(reply)) throw new Error(`haproxy runtime API refused an update: ${reply.trim()}`);
    }
    if (draining) {
      clearTimeout(this.drainTimer);
      this.drainTimer = setTimeout(() => this.schedule(), DRAIN_MS + 10);
    }
    if (this.shape(apps, this.certs()) !== this.appliedShape) {
      this.logger.info('apps, domains or certificates changed: reloading HAProxy');
      // One snapshot for the config and for what is remembered: a change arriving while HAProxy
      // reloads is then seen as a change by the next pass.
      const fresh = this.desired();
      const certs = this.certs();
      await this.writeChecked(fresh, certs);
      await this.reload();
      this.remember(fresh, this.shape(fresh, certs));
    }
  }

  /**
   * Writes the config and has HAProxy check it (`haproxy -c`) before it is loaded: a config HAProxy
   * rejects is never applied. Rejected with the SNI certificates but accepted without them, it is
   * written without them (logged) so the apps keep being served; rejected even so, this throws and
   * the running worker keeps its previous config.
   */
  private async writeChecked(apps: (HaproxyApp & { errorPageUrl?: string })[], certs: ServedCert[]): Promise<void> {
    await this.writeConfig(apps, certs);
    const complaint = await this.checkConfig();
    if (complaint === undefined) return;
    if (certs.length > 0) {
      await this.writeConfig(apps, []);
      if ((await this.checkConfig()) === undefined) {
        this.logger.error(`haproxy rejected the configuration with the SNI certificates (${certs.map((c) => c.name).join(', ')}); serving without them:\n${complaint}`);
        return;
      }
    }
    throw new Error(`haproxy rejected the new configuration, keeping the previous one:\n${complaint}`);
  }

  /** `haproxy -c`: undefined when the written config is valid, else HAProxy's complaint. */
  private checkConfig(): Promise<string | undefined> {
    return runCommand(this.o.binary ?? 'haproxy', ['-c', '-f', this.configFile], { timeout: START_TIMEOUT_MS }).then(
      () => undefined,
      (err: CommandError) => `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().slice(-4000) || err.message,
    );
  }

  private certs(): ServedCert[] {
    return this.o.tls?.certs.all() ?? [];
  }

  private async writeConfig(apps: (HaproxyApp & { errorPageUrl?: string })[], certs: ServedCert[]): Promise<void> {
    const pagesDir = join(this.o.dir, 'pages');
    await rm(pagesDir, { recursive: true, force: true });
    await mkdir(pagesDir, { recursive: true });
    for (const a of apps) if (a.errorFile) await writeFile(a.errorFile, errorResponse(appPages({ errorPageUrl: a.errorPageUrl }).error));
    let tls;
    if (this.o.tls) {
      // Key material stays readable by root only: one PEM per SNI endpoint, rewritten with each reload.
      const dir = join(this.o.dir, 'certs');
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const defaultPem = join(dir, 'default.pem');
      await writeFile(defaultPem, this.o.tls.defaultPem, { mode: 0o600 });
      const served = [];
      for (const [i, c] of certs.entries()) {
        const pemFile = join(dir, `endpoint-${i}.pem`);
        await writeFile(pemFile, c.pem, { mode: 0o600 });
        served.push({ pemFile, hostnames: c.hostnames });
      }
      const list = join(dir, 'crt-list');
      await writeFile(list, crtList(served), { mode: 0o600 });
      tls = { port: this.o.tls.port, defaultPem, crtList: list };
    }
    const cfg = haproxyConfig({ listen: this.o.listen, jail: this.jail?.jail, tls, logPort: this.logPort, threads: this.o.threads, timeouts: this.o.timeouts, paths: this.paths }, apps);
    await writeFile(this.paths.hostsMap, hostsMap(apps));
    await writeFile(this.configFile, cfg);
  }

  /** Sends commands to the runtime API (one connection) and returns its answer. */
  private runtime(commands: string[]): Promise<string> {
    return haproxyCommand(this.paths.statsSocket, commands);
  }

  private async workerPid(): Promise<string | undefined> {
    try {
      return /^Pid: (\d+)$/m.exec(await this.runtime(['show info']))?.[1];
    } catch {
      return undefined;
    }
  }

  /**
   * SIGUSR2 to the master, then waits on the master's own count of reloads (not on whichever worker
   * answers the runtime socket, which an old worker may still do): done when it went up, an error
   * naming HAProxy's complaint when the new configuration failed. A signal that lands while the
   * master is still busy is sent again.
   */
  private async reload(): Promise<void> {
    const before = await this.masterStatus();
    for (let attempt = 1; attempt <= 4; attempt++) {
      this.child?.kill('SIGUSR2');
      const deadline = Date.now() + (attempt < 4 ? 3000 : START_TIMEOUT_MS);
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
        const now = await this.masterStatus().catch(() => undefined);
        if (!now) continue;
        if (now.failed > before.failed) throw new Error('HAProxy refused the new configuration; see the platform output');
        if (now.reloads > before.reloads && now.worker && now.worker !== before.worker) {
          // The new worker takes the runtime socket once it has started.
          await this.waitForWorker(before.worker, () => '');
          return;
        }
      }
    }
    throw new Error(`HAProxy did not reload within ${START_TIMEOUT_MS / 1000} s`);
  }

  private async masterStatus(): Promise<{ reloads: number; failed: number; worker?: string }> {
    const out = await haproxyCommand(this.masterSocket, 'show proc');
    const master = /^\d+\s+master\s+(\d+) \[failed: (\d+)\]/m.exec(out);
    const worker = /^(\d+)\s+worker\s+0\s/m.exec(out)?.[1];
    if (!master) throw new Error(`unexpected answer from HAProxy's master: ${out.slice(0, 200)}`);
    return { reloads: Number(master[1]), failed: Number(master[2]), worker };
  }

  /** Waits until a worker (other than `previous`) answers on the runtime socket. */
  private async waitForWorker(previous: string | undefined, output: () => string): Promise<void> {
    const failed = `haproxy did not start serving within ${START_TIMEOUT_MS / 1000} s:\n`;
    await waitReady(async () => { const pid = await this.workerPid(); return pid !== undefined && pid !== previous; }, {
      timeoutMs: START_TIMEOUT_MS, intervalMs: 25, what: 'haproxy did not start serving',
      gone: () => (this.child && running(this.child) ? undefined : `${failed}${output()}`),
    }).catch((err: Error) => { throw err.message.startsWith(failed) ? err : new Error(`${failed}${output()}`); });
  }

  /** One connection per HAProxy worker; lines end with a newline (HAProxy escapes any inside a field). */
  private readLogs(socket: Socket): void {
    if (socket.remoteAddress !== '127.0.0.1') { socket.destroy(); return; }
    this.logSockets.add(socket);
    socket.once('close', () => this.logSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let pending = '';
    socket.on('data', (chunk: string) => {
      const cut = chunk.lastIndexOf('\n');
      if (cut < 0) { pending += chunk; return; }
      const lines = (pending + chunk.slice(0, cut)).split('\n');
      pending = chunk.slice(cut + 1);
      this.onLogs(lines);
    });
  }

  /**
   * A chunk's lines: each becomes the app's router line and a metrics sample (one clock reading for
   * the chunk); each app requested in it is marked once.
   */
  private onLogs(lines: string[]): void {
    const at = Date.now();
    const touched = new Set<string>();
    for (const line of lines) {
      if (!line) continue;
      const r = routerLine(line, this.dynoOf, this.appForHost);
      if (!r) continue;
      this.o.logs.emit(r.appId, 'heroku', 'router', r.line);
      touched.add(r.appId);
      this.o.onRequest?.(r.appId, r.status, r.ms, r.bytes, r.code, at);
    }
    for (const appId of touched) this.o.routes.touched(appId);
  }

  private readonly dynoOf = (backend: string, slot: string): string | undefined => this.slots.dynoOf(backend, slot);
  private readonly appForHost = (host: string): string | undefined => lookupHost(this.hostApps, host);
}
