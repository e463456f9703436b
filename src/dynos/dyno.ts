// One dyno's life: launch in a container, starting → up (web: once $PORT accepts connections) → crashed /
// down / complete, with Heroku's `heroku[web.1]` lines for every change and its output as `app[web.1]`.
// The dyno never restarts itself: it reports its exit and the manager's reconcile loop decides.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { LineAssembler } from '../logs/lines.ts';
import type { LogSink } from '../logs/types.ts';
import type { Container, Runtime } from '../runtime/types.ts';
import type { DynoSize } from '../runtime/sizes.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

/** Heroku cuts dyno output lines longer than this many bytes into pieces. */
const MAX_LINE_BYTES = 10_000;

export type DynoState = 'starting' | 'up' | 'crashed' | 'down' | 'idle' | 'complete';

export interface DynoSpec {
  /** The dyno's id (a UUID; also HEROKU_DYNO_ID). */
  id: string;
  appId: string;
  appName: string;
  name: string;
  type: string;
  command: string;
  /** One-off dynos end as `complete` and are never restarted. */
  oneOff: boolean;
  release: { id: string; version: number };
  size: DynoSize;
  /** The release's unpacked slug (read-only lower layer of /app): its app part when it has layers. */
  slugDir: string;
  /** The slug's unpacked layers (slugs/layers.ts), read-only beneath `slugDir`, shared by every app that has them. */
  layerDirs: string[];
  env: Record<string, string>;
  /** Web dynos: the host port the process must bind ($PORT). */
  port?: number;
  /** The user a one-off ran for, added to its start line as Heroku does. */
  startedBy?: string;
  /** Also handed every line the process prints (the release phase keeps its command's output). */
  onOutput?: (line: string) => void;
}

export interface DynoDeps {
  runtime: Runtime;
  logs: LogSink;
  /** The platform's log (the dyno's lines carry its app, name and release). */
  logger?: Logger;
  bootTimeoutMs: number;
  stopGraceMs: number;
  /** This platform's container id prefix (`slipway-<instance>-`). */
  containerPrefix: string;
  /**
   * An attached one-off whose client hung up gets SIGHUP this often (three notices in all, as Heroku's
   * doc example shows them 5 s apart) and then R16 if it is still running.
   */
  hangupIntervalMs?: number;
  /** How long a web dyno is out of the router before its SIGTERM (default 200 ms). */
  routeOutMs?: number;
  /** Called on every state change (the router's data path follows `up` dynos). */
  onStateChange?: (dyno: Dyno, previous?: DynoState) => void;
  /** Called once when the process has exited and the container is gone. */
  onExit: (dyno: Dyno, status: number, requested: boolean) => void;
}

const STACK_PATH = '/usr/local/bin:/usr/bin:/bin';
/** The bind probe's first pause and its longest (awaitBind). */
const PROBE_FIRST_MS = 2;
const PROBE_MAX_MS = 100;

export class Dyno {
  get id(): string { return this.spec.id; }
  state: DynoState = 'starting';
  /** Set by ps:restart: the manager boots a replacement as soon as this one has stopped. */
  restartRequested = false;
  /** For a crashed formation dyno: when the back-off lets it boot again (shown by `ps`). */
  nextRestartAt?: Date;
  updatedAt = new Date();
  readonly createdAt = new Date();
  private container?: Container;
  /** When the process was launched (cycling counts from here). */
  startedAt?: Date;
  /** For idling: when the router last sent this app a request for this dyno's app. */
  lastRequestAt = Date.now();
  private stopRequested = false;
  /** Stopping: the router no longer sends it requests. */
  leavingRoutes = false;
  /** Whether the platform stopped it (ps:stop, a timeout, shutdown) rather than it ending by itself. */
  get stoppedByRequest(): boolean { return this.stopRequested; }
  /** Going to sleep: the exit that follows leaves the dyno `idle`. */
  private idling = false;
  private stopped?: Promise<void>;
  /** While the container is being made: settles once start() has it running (or failed). */
  private launching?: Promise<void>;
  private bootTimer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private hangupTimer?: NodeJS.Timeout;
  /** Settles once the exit has been logged and the container removed. */
  private readonly exitedDone: Promise<void>;
  private markExited: () => void = () => undefined;
  /** The process's exit status, once it has exited and its container is gone (1 if it never launched). */
  readonly exitStatus: Promise<number>;
  private resolveStatus: (code: number) => void = () => undefined;

  constructor(readonly spec: DynoSpec, private readonly deps: DynoDeps) {
    this.exitedDone = new Promise((r) => { this.markExited = r; });
    this.exitStatus = new Promise((r) => { this.resolveStatus = r; });
  }

  get name(): string { return this.spec.name; }

  /** Where the router reaches the dyno's $PORT (its network namespace's address). */
  get address(): string | undefined { return this.container?.address; }

  /** A cgroup sample for R14 checks and runtime metrics; undefined when not running. */
  stats() { return this.container?.stats() ?? Promise.resolve(undefined); }

  /**
   * Boots the dyno. `client` attaches a one-off to the user's terminal (the rendezvous connection): its
   * input goes to the process, the process's output to it instead of the logs; `tty` runs the command on
   * a pseudo-terminal inside the dyno (util-linux `script`), so line editing and ctrl-C work.
   */
  async start(client?: { stream: Duplex; tty: boolean; columns?: number; lines?: number }): Promise<void> {
    const { spec, deps } = this;
    const by = spec.startedBy ? ` by user ${spec.startedBy}` : '';
    this.log(`Starting process with command \`${spec.command}\`${by}`);
    const env: Record<string, string> = {
      PATH: STACK_PATH, ...spec.env, HOME: '/app', DYNO: spec.name, PS1: '\\[\\033[01;34m\\]\\w\\[\\033[00m\\] \\[\\033[01;32m\\]$ \\[\\033[00m\\]',
      ...(spec.port ? { PORT: String(spec.port) } : {}),
    };
    // Heroku boots through a login shell that sources .profile.d/*.sh and .profile first. bash stays
    // pid 1 and the command its child (the trailing `exit` stops bash from exec'ing it), so an app that
    // installs no SIGTERM handler still dies on SIGTERM as it would on Heroku.
    const script = 'for f in /app/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; [ -r /app/.profile ] && . /app/.profile\n'
      + `${spec.command}\nexit $?\n`;
    let argv = ['/bin/bash', '-c', script];
    if (client?.tty) {
      const size = client.columns && client.lines ? `stty rows ${client.lines} cols ${client.columns} 2>/dev/null; ` : '';
      Object.assign(env, { SLIPWAY_RUN: script, SHELL: '/bin/bash', TERM: env.TERM ?? 'xterm-256color' });
      argv = ['/usr/bin/script', '-qfec', `${size}exec /bin/bash -c "$SLIPWAY_RUN"`, '/dev/null'];
    }
    let launched!: () => void;
    this.launching = new Promise((r) => { launched = r; });
    try {
      await this.launch(deps, spec, client, argv, env);
    } finally {
      this.launching = undefined;
      launched();
    }
  }

  private async launch(deps: DynoDeps, spec: DynoSpec, client: { stream: Duplex; tty: boolean } | undefined, argv: string[], env: Record<string, string>): Promise<void> {
    try {
      this.container = await deps.runtime.start({
        id: `${deps.containerPrefix}dyno-${this.id}`, hostname: spec.name, argv, env, cwd: '/app', stdin: client !== undefined,
        app: { lower: spec.slugDir, layers: spec.layerDirs }, mounts: [], memoryLimitBytes: spec.size.hardLimitBytes, pidsLimit: spec.size.pids,
        cpuShares: spec.size.cpuShares, appDiskBytes: spec.size.diskBytes, tmpBytes: spec.size.tmpBytes, network: 'isolated', tenant: spec.appId,
      });
      this.startedAt = new Date();
    } catch (err) {
      this.log(`Error R99 (Platform error) -> Failed to launch the dyno: ${(err as Error).message}`);
      client?.stream.end(`Error: the dyno could not be started (${(err as Error).message}).\r\n`);
      this.setState('crashed');
      this.resolveStatus(1);
      deps.onExit(this, 1, false);
      return;
    }
    if (client) this.pipeClient(this.container, client.stream, client.tty);
    else this.pipeOutput(this.container);
    if (spec.port && !spec.oneOff) this.awaitBind(spec.port);
    else this.setState('up');
    void this.container.exited.then((s) => this.exited(s.code, s.oomKilled));
  }

  /**
   * Graceful stop: SIGTERM to every process, SIGKILL after the grace period (R12). Resolves when gone.
   * `idle` puts an eco web dyno to sleep: it ends as `idle` instead of `down`.
   */
  stop(opts: { idle?: boolean } = {}): Promise<void> {
    if (opts.idle && this.state === 'up') {
      this.log('Idling');
      this.setState('idle');
      this.idling = true;
    }
    if (this.stopped) return this.stopped;
    this.stopRequested = true;
    this.clearTimers();
    const c = this.container;
    if (!c && this.launching) {
      // Stopped while its container is being made (a restart, then the platform stopping): stopped
      // once it is there, so neither the container nor its /app disk outlives the platform.
      this.stopped = this.launching.then(() => { this.stopped = undefined; return this.stop(opts); });
      return this.stopped;
    }
    if (!c || this.state === 'crashed' || this.state === 'complete' || this.state === 'down' || (this.state === 'idle' && !this.idling)) {
      this.stopped = Promise.resolve();
      return this.stopped;
    }
    // Routing stops first (Heroku pauses routing before it stops dynos): the router takes the dyno
    // out, then it gets SIGTERM, so no new request lands on a process that is shutting down.
    const routed = this.state === 'up' && this.spec.port !== undefined && !this.spec.oneOff;
    this.leavingRoutes = true;
    if (routed) this.deps.onStateChange?.(this);
    this.log('Stopping all processes with SIGTERM');
    this.stopped = (async () => {
      if (routed) await new Promise((r) => setTimeout(r, this.deps.routeOutMs ?? 200));
      await c.signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), this.deps.stopGraceMs); });
      const first = await Promise.race([c.exited.then(() => 'exited' as const), late]);
      clearTimeout(timer);
      if (first === 'late') {
        this.log(`Error R12 (Exit timeout) -> At least one process failed to exit within ${Math.round(this.deps.stopGraceMs / 1000)} seconds of SIGTERM`);
        this.log('Stopping remaining processes with SIGKILL');
        await c.signal('SIGKILL');
        await c.exited;
      }
      await this.exitedDone;
    })();
    return this.stopped;
  }


  private async exited(code: number, oomKilled: boolean): Promise<void> {
    this.clearTimers();
    if (oomKilled) {
      this.log('Error R15 (Memory quota vastly exceeded)');
      this.log('Stopping process with SIGKILL');
    }
    this.log(`Process exited with status ${code}`);
    const requested = this.stopRequested;
    if (this.spec.oneOff) this.setState('complete');
    else if (this.idling) this.idling = false; // stays `idle`: asleep, not stopped
    else this.setState(requested ? 'down' : 'crashed');
    await this.container?.destroy().catch((err) => componentLogger(this.deps.logger, 'dynos')
      .error({ err, app: this.spec.appName, dyno: this.name, release: `v${this.spec.release.version}` }, 'cleanup failed'));
    this.markExited();
    this.resolveStatus(code);
    this.deps.onExit(this, code, requested);
  }

  private setState(next: DynoState): void {
    if (next === this.state) return;
    this.log(`State changed from ${this.state} to ${next}`);
    const previous = this.state;
    this.state = next;
    this.updatedAt = new Date();
    this.deps.onStateChange?.(this, previous);
  }

  private log(message: string): void {
    this.deps.logs.emit(this.spec.appId, 'heroku', this.spec.name, message);
  }

  /**
   * A web dyno is up once its $PORT accepts a TCP connection; R10 if it hasn't within the boot timeout.
   * Probed often at first (most apps bind within tens of milliseconds, and the router learns the dyno
   * the moment it is up), then less and less, to every 100 ms.
   */
  private awaitBind(port: number): void {
    let wait = PROBE_FIRST_MS;
    const probe = () => {
      if (this.state !== 'starting') return;
      const s = connect({ host: this.container!.address, port });
      s.once('connect', () => { s.destroy(); if (this.state === 'starting') this.setState('up'); });
      s.once('error', () => {
        s.destroy();
        if (this.state !== 'starting') return;
        this.probeTimer = setTimeout(probe, wait);
        wait = Math.min(PROBE_MAX_MS, wait * 1.5);
      });
    };
    probe();
    this.bootTimer = setTimeout(() => {
      if (this.state !== 'starting') return;
      const secs = Math.round(this.deps.bootTimeoutMs / 1000);
      this.log(`Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${secs} seconds of launch`);
      this.log('Stopping process with SIGKILL');
      void this.container?.signal('SIGKILL');
    }, this.deps.bootTimeoutMs);
  }

  /**
   * Resizes an attached one-off's terminal (the CLI follows its own window). One at a time, in the order
   * asked: a window dragged sends several, and the last must win.
   */
  resize(columns: number, lines: number): Promise<void> {
    const c = this.container;
    if (!c || !Number.isInteger(columns) || !Number.isInteger(lines)) return Promise.resolve();
    this.resizing = this.resizing.then(() => c.exec(['/bin/stty', '-F', '/dev/pts/0', 'rows', String(lines), 'cols', String(columns)]))
      .then(() => undefined, () => undefined);
    return this.resizing;
  }
  private resizing: Promise<void> = Promise.resolve();

  /** An attached one-off: the client's bytes in, the process's bytes out; hang-ups as Heroku handles them. */
  private pipeClient(c: Container, client: Duplex, tty: boolean): void {
    let exited = false;
    // Back-pressure both ways: a side that does not read holds the other (nothing piles up in the platform).
    client.on('data', (chunk: Buffer) => {
      if (!c.stdin) return;
      // Without a terminal the CLI marks the end of its stdin with EOT.
      const eot = tty ? -1 : chunk.indexOf(4);
      if (eot >= 0) {
        c.stdin.end(chunk.subarray(0, eot));
        return;
      }
      if (!c.stdin.write(chunk)) {
        client.pause();
        c.stdin.once('drain', () => client.resume());
      }
    });
    c.stdin?.on('error', () => undefined);
    client.on('error', () => undefined);
    client.on('close', () => {
      if (!exited) this.hangUp(c, 1);
    });
    let open = 2;
    const ended = () => { if (--open === 0) { exited = true; client.end(); } };
    let held = false;
    const outputs = [c.stdout, c.stderr];
    for (const stream of outputs) {
      stream.on('data', (d: Buffer) => {
        if (client.destroyed || client.write(d) || held) return;
        held = true;
        for (const s of outputs) s.pause();
        client.once('drain', () => { held = false; for (const s of outputs) s.resume(); });
      });
      stream.on('end', ended);
    }
    // A client gone for good holds nothing any more: what the dyno prints then is dropped.
    client.once('close', () => { for (const s of outputs) s.resume(); });
    client.resume();
  }

  /**
   * The client went away: SIGHUP to every process, repeated while they keep running; after the third
   * notice R16 (Detached) is logged and the dyno is left running, as on Heroku.
   */
  private hangUp(c: Container, notice: number): void {
    if (this.state !== 'up' && this.state !== 'starting') return;
    if (notice > 3) {
      this.log('Error R16 (Detached) -> An attached process is not responding to SIGHUP after its external connection was closed.');
      return;
    }
    this.log('Client connection closed. Sending SIGHUP to all processes');
    void c.signal('SIGHUP');
    this.hangupTimer = setTimeout(() => this.hangUp(c, notice + 1), this.deps.hangupIntervalMs ?? 5000);
  }

  private pipeOutput(c: Container): void {
    for (const stream of [c.stdout, c.stderr]) {
      const lines = new LineAssembler(MAX_LINE_BYTES, (text) => this.emitOutput(text));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => lines.write(chunk));
      stream.on('end', () => lines.end());
    }
  }

  private emitOutput(text: string): void {
    this.deps.logs.emit(this.spec.appId, 'app', this.spec.name, text);
    this.spec.onOutput?.(`${text}\n`);
  }

  private clearTimers(): void {
    clearTimeout(this.bootTimer);
    clearTimeout(this.probeTimer);
    clearTimeout(this.hangupTimer);
  }
}
