// The control plane of the HAProxy data path. It runs HAProxy (master-worker, foreground, one child
// of the platform), keeps it in step with the dyno manager's view, and turns its log lines into
// Heroku's router lines.
//   - Up web dynos → server slots, changed through the runtime API (`set server ... addr/state`):
//     no reload for scaling, restarts or crashes.
//   - Apps, their hosts and maintenance → the config and the Host map: a change rewrites both and
//     reloads (SIGUSR2 to the master; old workers finish their requests).
//   - Log lines arrive over TCP on loopback (HAProxy's log ring forwards them, newline-delimited);
//     each becomes one `heroku[router]` line in the app's stream and marks the app as requested (idling).
// One sync runs at a time; changes arriving meanwhile coalesce into one more pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LogSink } from '../../logs/types.ts';
import { hcode } from '../hcodes.ts';
import { lookupHost } from '../hosts.ts';
import { formatRouterLine } from '../logline.ts';
import { appPages, APPLICATION_ERROR_PAGE } from '../pages.ts';
import type { RouteSnapshotApp } from '../../dynos/routes.ts';
import type { CertTable, ServedCert } from '../certs.ts';
import { backendName, crtList, haproxyConfig, hostsMap, SLOTS_PER_APP, type HaproxyApp, type HaproxyTimeouts } from './config.ts';
import { parseLogLine, routerFields } from './logline.ts';
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
  /** Where the Node router listens for what HAProxy cannot answer itself. */
  fallbackSocket: string;
  /** The TLS port and its default certificate (PEM: chain + key); certificates by SNI come from `certs`. */
  tls?: { port: number; defaultPem: string; certs: CertTable };
  /** Each request HAProxy finished (status, ms, bytes), for the router metrics. */
  onRequest?: (appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined) => void;
  binary?: string;
  logger?: Logger;
}

const START_TIMEOUT_MS = 10_000;

/** An HAProxy error file: the whole 503 response the client gets for 502/503/504. */
function errorResponse(page: string): string {
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(page)}\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n${page}`;
}
/** How long a leaving dyno's slot rests (its requests in flight finishing) before it can serve another dyno. */
const DRAIN_TO_MAINT_MS = 2000;

interface Slot {
  name: string;
  state: 'free' | 'ready' | 'draining';
  addr?: string;
  dyno?: string;
  /** When it entered its state (free slots are reused oldest first). */
  since: number;
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
  /** Per backend, its server slots as the running worker has them. */
  private readonly slots = new Map<string, Slot[]>();
  private drainTimer?: NodeJS.Timeout;
  /** Host → app id, as the running config maps them (for lines of requests that never reached a backend). */
  private readonly hostApps = new Map<string, string>();
  private syncing = false;
  private again = false;
  private closed = false;
  private unsubscribe?: () => void;
  private exited?: Promise<void>;

  private readonly logger: Logger;

  constructor(private readonly o: HaproxyControllerOptions) {
    this.logger = componentLogger(o.logger, 'router');
  }

  private get paths() {
    const d = this.o.dir;
    return { statsSocket: join(d, 'haproxy.sock'), fallbackSocket: this.o.fallbackSocket, hostsMap: join(d, 'hosts.map'), errorFile: join(d, '503.http') };
  }

  private get configFile() { return join(this.o.dir, 'haproxy.cfg'); }

  private get pidFile() { return join(this.o.dir, 'haproxy.pid'); }

  /** The master's CLI: how many reloads it did (and how many failed), and its current worker. */
  private get masterSocket() { return join(this.o.dir, 'master.sock'); }

  /** An HAProxy this data dir started before a crash of the platform: stopped before ours starts. */
  private async stopLeftover(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!pid) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(this.configFile)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  }

  async start(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    await rm(this.paths.statsSocket, { force: true });
    await writeFile(this.paths.errorFile, errorResponse(APPLICATION_ERROR_PAGE));
    this.logServer = createServer((socket) => this.readLogs(socket));
    await new Promise<void>((resolve, reject) => {
      this.logServer!.once('error', reject);
      this.logServer!.listen(0, '127.0.0.1', () => resolve());
    });
    this.logPort = (this.logServer.address() as { port: number }).port;
    const apps = this.desired();
    const certs = this.certs();
    await this.writeConfig(apps, certs);
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
      if (!this.closed) this.logger.error(`haproxy exited (${signal ?? code}); the router port no longer answers:\n${output}`);
      resolve();
    }));
    child.once('error', (err) => this.logger.error(`could not run haproxy: ${err.message}`));
    await this.waitForWorker(undefined, () => output);
    this.remember(apps, this.shape(apps, certs));
    const offRoutes = this.o.routes.onChange(() => this.schedule());
    const offCerts = this.o.tls?.certs.onChange(() => this.schedule());
    this.unsubscribe = () => { offRoutes(); offCerts?.(); };
    this.schedule();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearTimeout(this.drainTimer);
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const late = setTimeout(() => this.child?.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(late);
    }
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
  private desired(): (HaproxyApp & { wanted: { dyno: string; addr: string }[]; errorPageUrl?: string })[] {
    return this.o.routes.routeSnapshot().map((a) => {
      const slots = this.slots.get(backendName(a.id));
      const wanted = a.up.map((u) => ({ dyno: u.dyno, addr: `${u.host}:${u.port}` }));
      // For a config being written: dynos keep their slot; new ones take free slots in order.
      const taken = new Set<string>();
      const servers = a.up.map((u) => {
        const addr = `${u.host}:${u.port}`;
        const slot = slots?.find((x) => x.state === 'ready' && x.addr === addr)?.name;
        if (slot) taken.add(slot);
        return { dyno: u.dyno, host: u.host, port: u.port, slot };
      });
      let next = 1;
      for (const sv of servers) {
        if (sv.slot) continue;
        while (taken.has(`s${next}`)) next++;
        sv.slot = `s${next}`;
        taken.add(sv.slot);
      }
      // The app's own error page (ERROR_PAGE_URL) becomes its backend's error file.
      const errorFile = a.errorPageUrl ? join(this.o.dir, 'pages', `${a.id}.http`) : undefined;
      return { id: a.id, maintenance: a.maintenance, hosts: [`${a.name}.${this.o.domain}`.toLowerCase(), ...a.domains], servers: servers as HaproxyApp['servers'], wanted, errorFile, errorPageUrl: a.errorPageUrl };
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
    this.slots.clear();
    for (const a of apps) {
      const slots: Slot[] = [];
      for (let i = 1; i <= SLOTS_PER_APP; i++) slots.push({ name: `s${i}`, state: 'free', since: 0 });
      for (const sv of a.servers) Object.assign(slots[Number(sv.slot.slice(1)) - 1]!, { state: 'ready', addr: `${sv.host}:${sv.port}`, dyno: sv.dyno });
      this.slots.set(backendName(a.id), slots);
    }
  }

  /**
   * Slots follow the dynos through the runtime API: an arriving dyno takes a free slot (the one free
   * longest); a leaving one's slot goes to maintenance (no new request, its pooled connections
   * dropped, those in flight finish) and rests DRAIN_TO_MAINT_MS before serving another dyno. A slot
   * is never re-pointed in place.
   */
  private async sync(): Promise<void> {
    const apps = this.desired();
    const now = Date.now();
    const commands: string[] = [];
    let draining = false;
    const present = new Set(apps.map((a) => backendName(a.id)));
    for (const [backend, slots] of this.slots) {
      const app = apps.find((a) => backendName(a.id) === backend);
      const wanted = new Map((app?.wanted ?? []).map((w) => [w.addr, w.dyno]));
      for (const slot of slots) {
        if (slot.state === 'ready' && !wanted.has(slot.addr!)) {
          // Maintenance at once: no new request goes there and, were it the app's last dyno, the
          // backup (the Node router: hold, H14, H10) takes over; requests in flight finish.
          commands.push(`set server ${backend}/${slot.name} state maint`);
          Object.assign(slot, { state: 'draining', since: now });
        } else if (slot.state === 'ready') {
          slot.dyno = wanted.get(slot.addr!);
        }
        if (slot.state === 'draining' && now - slot.since >= DRAIN_TO_MAINT_MS) Object.assign(slot, { state: 'free', since: now });
        if (slot.state === 'draining') draining = true;
      }
      if (!present.has(backend)) continue;
      for (const [addr, dyno] of wanted) {
        if (slots.some((x) => x.state === 'ready' && x.addr === addr)) continue;
        const free = slots.filter((x) => x.state === 'free').sort((a, b) => a.since - b.since)[0]
          ?? slots.filter((x) => x.state === 'draining').sort((a, b) => a.since - b.since)[0];
        if (!free) break;
        const [host, port] = addr.split(':');
        commands.push(`set server ${backend}/${free.name} addr ${host} port ${port}`, `set server ${backend}/${free.name} state ready`);
        Object.assign(free, { state: 'ready', addr, dyno, since: now });
      }
    }
    if (commands.length > 0) {
      const reply = await this.runtime(commands);
      if (/No such (server|backend)|Require|Unknown/i.test(reply)) throw new Error(`haproxy runtime API refused an update: ${reply.trim()}`);
    }
    if (draining) {
      clearTimeout(this.drainTimer);
      this.drainTimer = setTimeout(() => this.schedule(), DRAIN_TO_MAINT_MS + 10);
    }
    if (this.shape(apps, this.certs()) !== this.appliedShape) {
      this.logger.info('apps, domains or certificates changed: reloading HAProxy');
      // One snapshot for the config and for what is remembered: a change arriving while HAProxy
      // reloads is then seen as a change by the next pass.
      const fresh = this.desired();
      const certs = this.certs();
      await this.writeConfig(fresh, certs);
      await this.reload();
      this.remember(fresh, this.shape(fresh, certs));
    }
  }

  /** The dyno a slot serves, for the log line (`dyno=web.1`). */
  private dynoOf(backend: string, slot: string): string | undefined {
    return this.slots.get(backend)?.[Number(slot.slice(1)) - 1]?.dyno; // slot `sN` is entry N-1
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
    const cfg = haproxyConfig({ listen: this.o.listen, tls, logPort: this.logPort, threads: this.o.threads, timeouts: this.o.timeouts, paths: this.paths }, apps);
    await writeFile(this.paths.hostsMap, hostsMap(apps));
    await writeFile(this.configFile, cfg);
  }

  /** Sends commands to the runtime API (one connection, `;`-separated) and returns its answer. */
  private runtime(commands: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.paths.statsSocket);
      let out = '';
      s.setEncoding('utf8');
      s.on('data', (d) => (out += d));
      s.once('error', reject);
      s.once('close', () => resolve(out));
      s.end(`${commands.join(';')}\n`);
    });
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
    const out = await new Promise<string>((resolve, reject) => {
      const s = connect(this.masterSocket);
      let o = '';
      s.setEncoding('utf8');
      s.on('data', (d) => (o += d));
      s.once('error', reject);
      s.once('close', () => resolve(o));
      s.end('show proc\n');
    });
    const master = /^\d+\s+master\s+(\d+) \[failed: (\d+)\]/m.exec(out);
    const worker = /^(\d+)\s+worker\s+0\s/m.exec(out)?.[1];
    if (!master) throw new Error(`unexpected answer from HAProxy's master: ${out.slice(0, 200)}`);
    return { reloads: Number(master[1]), failed: Number(master[2]), worker };
  }

  /** Waits until a worker (other than `previous`) answers on the runtime socket. */
  private async waitForWorker(previous: string | undefined, output: () => string, timeoutMs = START_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null || this.child?.signalCode !== null) break;
      const pid = await this.workerPid();
      if (pid && pid !== previous) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`haproxy did not start serving within ${timeoutMs / 1000} s:\n${output()}`);
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
      for (const line of lines) this.onLog(line);
    });
  }

  private onLog(line: string): void {
    if (!line) return;
    const parsed = parseLogLine(line);
    const fields = parsed && routerFields(parsed, (host) => lookupHost(this.hostApps, host));
    if (!fields) return;
    const { appId, ...rest } = fields;
    if (rest.dyno) rest.dyno = this.dynoOf(parsed.backend, rest.dyno) ?? rest.dyno;
    this.o.logs.emit(appId, 'heroku', 'router', formatRouterLine(rest));
    this.o.routes.touched(appId);
    const status = rest.status ?? (rest.code ? hcode(rest.code).status : undefined);
    this.o.onRequest?.(appId, status, parsed.activeMs >= 0 ? parsed.activeMs : undefined, rest.bytes);
  }
}
