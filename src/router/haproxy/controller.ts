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
import { formatRouterLine } from '../logline.ts';
import { APPLICATION_ERROR_PAGE } from '../pages.ts';
import type { CertTable } from '../certs.ts';
import { backendName, crtList, haproxyConfig, hostsMap, type HaproxyApp, type HaproxyTimeouts } from './config.ts';
import { parseLogLine, routerFields } from './logline.ts';

export interface RouteSource {
  routeSnapshot(): { id: string; name: string; maintenance: boolean; domains: string[]; up: { dyno: string; host: string; port: number }[] }[];
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
  /** Where the Node router listens for what HAProxy cannot answer itself. */
  fallbackSocket: string;
  /** The TLS port and its default certificate (PEM: chain + key); certificates by SNI come from `certs`. */
  tls?: { port: number; defaultPem: string; certs: CertTable };
  /** Each request HAProxy finished (status, ms, bytes), for the router metrics. */
  onRequest?: (appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined) => void;
  binary?: string;
}

const START_TIMEOUT_MS = 10_000;

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
  private readonly appliedSlots = new Map<string, string>();
  private syncing = false;
  private again = false;
  private closed = false;
  private unsubscribe?: () => void;
  private exited?: Promise<void>;

  constructor(private readonly o: HaproxyControllerOptions) {}

  private get paths() {
    const d = this.o.dir;
    return { statsSocket: join(d, 'haproxy.sock'), fallbackSocket: this.o.fallbackSocket, hostsMap: join(d, 'hosts.map'), errorFile: join(d, '503.http') };
  }

  private get configFile() { return join(this.o.dir, 'haproxy.cfg'); }

  private get pidFile() { return join(this.o.dir, 'haproxy.pid'); }

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
    const body = Buffer.from(APPLICATION_ERROR_PAGE);
    await writeFile(this.paths.errorFile, `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\nCache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n${APPLICATION_ERROR_PAGE}`);
    this.logServer = createServer((socket) => this.readLogs(socket));
    await new Promise<void>((resolve, reject) => {
      this.logServer!.once('error', reject);
      this.logServer!.listen(0, '127.0.0.1', () => resolve());
    });
    this.logPort = (this.logServer.address() as { port: number }).port;
    const apps = this.desired();
    await this.writeConfig(apps);
    await this.stopLeftover();
    // setpriv's parent-death signal: if the platform is killed outright, HAProxy goes with it instead
    // of holding the router port; a leftover from before that is stopped above through its pid file.
    const argv = [this.o.binary ?? 'haproxy', '-W', '-db', '-p', this.pidFile, '-f', this.configFile];
    const child = spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    const keep = (d: Buffer) => { output = (output + d.toString()).slice(-4000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      if (!this.closed) console.error(`router: haproxy exited (${signal ?? code}); the router port no longer answers:\n${output}`);
      resolve();
    }));
    child.once('error', (err) => console.error('router: could not run haproxy:', err.message));
    await this.waitForWorker(undefined, () => output);
    this.remember(apps);
    const offRoutes = this.o.routes.onChange(() => this.schedule());
    const offCerts = this.o.tls?.certs.onChange(() => this.schedule());
    this.unsubscribe = () => { offRoutes(); offCerts?.(); };
    this.schedule();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
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
      if (!this.closed) console.error('router: updating haproxy failed:', err);
    } finally {
      this.syncing = false;
    }
  }

  private desired(): HaproxyApp[] {
    return this.o.routes.routeSnapshot().map((a) => ({
      id: a.id, maintenance: a.maintenance, hosts: [`${a.name}.${this.o.domain}`.toLowerCase(), ...a.domains],
      servers: a.up.map((u) => ({ name: u.dyno, host: u.host, port: u.port })),
    }));
  }

  private shape(apps: HaproxyApp[]): string {
    return JSON.stringify([apps.map((a) => [a.id, a.hosts, a.maintenance]), this.o.tls?.certs.all() ?? []]);
  }

  private remember(apps: HaproxyApp[]): void {
    this.appliedShape = this.shape(apps);
    this.appliedSlots.clear();
    for (const a of apps) for (const s of a.servers) this.appliedSlots.set(`${backendName(a.id)}/${s.name}`, `${s.host}:${s.port}`);
  }

  private async sync(): Promise<void> {
    const apps = this.desired();
    // Slots first, through the runtime API (immediate): a destroyed app's dynos stop getting requests
    // before the reload below has finished.
    const live = new Set(this.appliedSlots.keys());
    const want = new Map<string, string>();
    for (const a of apps) for (const s of a.servers) if (/^web\.\d+$/.test(s.name)) want.set(`${backendName(a.id)}/${s.name}`, `${s.host}:${s.port}`);
    const commands: string[] = [];
    const shape = this.shape(apps);
    const reload = shape !== this.appliedShape;
    const backends = new Set((JSON.parse(this.appliedShape || '[[]]')[0] as [string][]).map((a) => backendName(a[0])));
    for (const [slot, addr] of want) {
      if (this.appliedSlots.get(slot) === addr || !backends.has(slot.split('/')[0])) continue;
      const [host, port] = addr.split(':');
      commands.push(`set server ${slot} addr ${host} port ${port}`, `set server ${slot} state ready`);
    }
    // A stopping dyno only stops getting new requests: those in flight finish (it has its SIGTERM grace).
    for (const slot of live) if (!want.has(slot)) commands.push(`set server ${slot} state maint`);
    if (commands.length > 0) {
      const reply = await this.runtime(commands);
      if (/No such (server|backend)|Require|Unknown/i.test(reply)) throw new Error(`haproxy runtime API refused an update: ${reply.trim()}`);
      this.appliedSlots.clear();
      for (const [slot, addr] of want) if (backends.has(slot.split('/')[0])) this.appliedSlots.set(slot, addr);
    }
    if (reload) {
      await this.writeConfig(apps);
      const before = await this.workerPid();
      this.child?.kill('SIGUSR2');
      await this.waitForWorker(before, () => '');
      this.remember(apps);
    }
  }

  private async writeConfig(apps: HaproxyApp[]): Promise<void> {
    let tls;
    if (this.o.tls) {
      // Key material stays readable by root only: one PEM per SNI endpoint, rewritten with each reload.
      const dir = join(this.o.dir, 'certs');
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const defaultPem = join(dir, 'default.pem');
      await writeFile(defaultPem, this.o.tls.defaultPem, { mode: 0o600 });
      const served = [];
      for (const [i, c] of this.o.tls.certs.all().entries()) {
        const pemFile = join(dir, `endpoint-${i}.pem`);
        await writeFile(pemFile, c.pem, { mode: 0o600 });
        served.push({ pemFile, hostnames: c.hostnames });
      }
      const list = join(dir, 'crt-list');
      await writeFile(list, crtList(served), { mode: 0o600 });
      tls = { port: this.o.tls.port, defaultPem, crtList: list };
    }
    const cfg = haproxyConfig({ listen: this.o.listen, tls, logPort: this.logPort, timeouts: this.o.timeouts, paths: this.paths }, apps);
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

  /** Waits until a worker (other than `previous`) answers on the runtime socket. */
  private async waitForWorker(previous: string | undefined, output: () => string): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null || this.child?.signalCode !== null) break;
      const pid = await this.workerPid();
      if (pid && pid !== previous) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`haproxy did not start serving within ${START_TIMEOUT_MS / 1000} s:\n${output()}`);
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
    const fields = parsed && routerFields(parsed);
    if (!fields) return;
    const { appId, ...rest } = fields;
    this.o.logs.emit(appId, 'heroku', 'router', formatRouterLine(rest));
    this.o.routes.touched(appId);
    const status = rest.status ?? (rest.code ? hcode(rest.code).status : undefined);
    this.o.onRequest?.(appId, status, parsed.activeMs >= 0 ? parsed.activeMs : undefined, rest.bytes);
  }
}
