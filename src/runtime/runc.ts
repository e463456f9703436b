// The default runtime: every build and dyno is an OCI container run in the foreground by `runc`,
// rooted in the read-only stack, with /app as a private overlay over the release's slug, host
// networking, no capabilities, and cgroup v1 memory and pids limits. Owns every runc process,
// bundle dir and cgroup it creates, and sweeps those a previous platform process left behind.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { chmod, chown, lstat, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { constants } from 'node:os';
import type { Container, ContainerSpec, ExitStatus, Runtime } from './types.ts';
import { DYNO_GID, DYNO_UID } from './types.ts';
import { normalizeDest, ociConfig, validateSpec } from './bundle.ts';
import { hasMemsw, leftoverCgroupIds, readMemoryRecord, removeCgroups, wasOomKilled } from './cgroups.ts';
import { unmountUnder } from './mounts.ts';
import { outputEnded, relay } from './streams.ts';
import { STACK_NAME, ensureStack } from './stack.ts';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

const run = promisify(execFile);

export interface RuncRuntimeOptions {
  /** The stack's root filesystem (see stack.ts); used read-only. */
  stackDir: string;
  /** Where bundles, writable layers and runc's state (`runc/`) live; under the platform's data dir. */
  stateDir: string;
  /** Bound read-only at /etc/hosts. Default: the host's /etc/hosts. */
  hostsFile?: string;
  /** Bound read-only at /etc/resolv.conf. Default: the host's /etc/resolv.conf. */
  resolvConf?: string;
  /** CA bundle bound over the stack's (default: the host's, when it has one). */
  caBundle?: string;
}

/** How long runc may take to create a container before start() gives up. */
const START_TIMEOUT_MS = 30_000;
/** How long destroy() waits for a SIGKILLed container's runc to exit. */
const KILL_TIMEOUT_MS = 15_000;
/** runc only needs standard tools; nothing of the platform's environment reaches it. */
const RUNC_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export class RuncRuntime implements Runtime {
  readonly name = 'runc' as const;
  readonly stack = STACK_NAME;
  readonly stackDir: string;
  private readonly stateDir: string;
  private readonly hostsFile: string;
  private readonly resolvConf: string;
  private readonly caBundle?: string;

  constructor(options: RuncRuntimeOptions) {
    this.stackDir = path.resolve(options.stackDir);
    this.stateDir = path.resolve(options.stateDir);
    this.hostsFile = options.hostsFile ?? '/etc/hosts';
    this.resolvConf = options.resolvConf ?? '/etc/resolv.conf';
    this.caBundle = options.caBundle ?? (existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : undefined);
  }

  private get runcRoot(): string {
    return path.join(this.stateDir, 'runc');
  }

  private bundleDir(id: string): string {
    return path.join(this.stateDir, 'containers', id);
  }

  /** runc with our state root; resolves with stdout, rejects with runc's own error message. */
  private async runc(args: string[]): Promise<string> {
    try {
      return (await run('runc', ['--root', this.runcRoot, ...args], { env: RUNC_ENV, maxBuffer: 16 << 20 })).stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`runc ${args[0]}: ${(e.stderr || e.message).trim()}`);
    }
  }

  async prepare(progress: (line: string) => void): Promise<void> {
    await ensureStack(this.stackDir, progress);
  }

  async start(spec: ContainerSpec): Promise<Container> {
    validateSpec(spec);
    await this.checkMountPoints(spec);
    const bundle = this.bundleDir(spec.id);
    await mkdir(path.dirname(bundle), { recursive: true, mode: 0o700 });
    await mkdir(this.runcRoot, { recursive: true, mode: 0o700 });
    try {
      await mkdir(bundle, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`container ${spec.id} already exists (destroy it, or cleanup() after a crash)`);
      }
      throw err;
    }
    const destroyLeftovers = (): Promise<void> => this.removeContainer(spec.id);
    try {
      let appLayer: { upper: string; work: string } | undefined;
      if (spec.app) {
        // The merged /app takes its owner and mode from the upper dir: give it the lower dir's
        // mode and the dyno user, so /app itself is writable like on Heroku.
        const lower = await stat(spec.app.lower);
        if (!lower.isDirectory()) throw new Error(`app.lower ${spec.app.lower} is not a directory`);
        appLayer = { upper: path.join(bundle, 'upper'), work: path.join(bundle, 'work') };
        await mkdir(appLayer.upper);
        await mkdir(appLayer.work, { mode: 0o700 });
        await chown(appLayer.upper, DYNO_UID, DYNO_GID);
        await chmod(appLayer.upper, lower.mode & 0o7777);
      }
      const config = ociConfig({
        spec,
        rootDir: this.stackDir,
        appLayer,
        hostsFile: this.hostsFile,
        resolvConf: this.resolvConf,
        caBundle: this.caBundle,
        memsw: await hasMemsw(),
      });
      await writeFile(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
      return await this.launch(spec.id, bundle, destroyLeftovers);
    } catch (err) {
      await destroyLeftovers();
      throw err;
    }
  }

  /**
   * runc creates missing mount points inside the root before making it read-only, which would
   * write into the shared stack on the host; refuse instead, naming the paths that do work.
   */
  private async checkMountPoints(spec: ContainerSpec): Promise<void> {
    const dests = spec.mounts.map((m) => normalizeDest(m.destination));
    const under = (p: string, dir: string): boolean => p.startsWith(dir + '/');
    for (const dest of dests) {
      // Under /tmp or the /app overlay, runc creates the mount point in a private layer.
      if (under(dest, '/tmp') || (spec.app && under(dest, '/app')) || dests.some((d) => under(dest, d))) continue;
      try {
        await lstat(path.join(this.stackDir, dest));
      } catch {
        throw new Error(
          `container ${spec.id}: mount point ${dest} does not exist in the stack; use a path under /tmp${spec.app ? ' or /app' : ''}`,
        );
      }
    }
  }

  private async launch(id: string, bundle: string, destroyLeftovers: () => Promise<void>): Promise<Container> {
    const pidFile = path.join(bundle, 'pid');
    const logFile = path.join(bundle, 'runc.log');
    // --keep: runc must not delete the container (and its cgroup) before we have read the memory
    // controller's OOM record. detached: a Ctrl-C at the platform's terminal must not reach dynos
    // directly; the dyno manager decides how they stop.
    const child = spawn(
      'runc',
      ['--root', this.runcRoot, '--log', logFile, '--log-format', 'json',
        'run', '--keep', '--pid-file', pidFile, '--bundle', bundle, id],
      { stdio: ['ignore', 'pipe', 'pipe'], env: RUNC_ENV, detached: true },
    );
    const stdout = relay(child.stdout!);
    const stderr = relay(child.stderr!);
    const runcExit = new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    });

    const pid = await waitForPid(pidFile, runcExit);
    if (pid === undefined) {
      const why = await runcError(logFile);
      stdout.destroy();
      stderr.destroy();
      child.kill('SIGKILL');
      await destroyLeftovers();
      throw new Error(`runc could not start container ${id}: ${why}`);
    }

    const exited = runcExit.then(async (code): Promise<ExitStatus> => {
      const oomKilled = wasOomKilled(await readMemoryRecord(id), code);
      // The record is read: delete now, so a stopped container never holds a cgroup or runc state
      // even if the caller is slow to destroy() it. A failure here is not lost: destroy() runs the
      // same delete again and reports it; `exited` itself only reports how the process ended.
      await this.runc(['delete', '--force', id]).catch(() => undefined);
      await outputEnded([stdout, stderr]);
      return { code, oomKilled };
    });
    return new RuncContainer(id, pid, child, stdout, stderr, exited, this);
  }

  /** Used by RuncContainer.signal(). */
  async kill(id: string, signal: string): Promise<void> {
    await this.runc(['kill', '--all', id, signal]).catch(ignoreGone);
  }

  /** Removes everything of one container; safe on a container that is half made or already gone. */
  async removeContainer(id: string): Promise<void> {
    await this.runc(['delete', '--force', id]).catch(ignoreGone);
    // Nothing is mounted on the host by design (the overlay lives in the container's namespace);
    // this guards against a future mount or an operator's manual one.
    const bundle = this.bundleDir(id);
    await unmountUnder(bundle);
    await rm(bundle, { recursive: true, force: true });
    await removeCgroups(id);
  }

  async cleanup(prefix: string): Promise<void> {
    const ids = new Set<string>();
    const listed = await this.runc(['list', '--format', 'json']).catch(() => 'null');
    for (const c of (JSON.parse(listed || 'null') ?? []) as { id: string }[]) {
      if (c.id.startsWith(prefix)) ids.add(c.id);
    }
    for (const name of await readdir(path.join(this.stateDir, 'containers')).catch(() => [] as string[])) {
      if (name.startsWith(prefix)) ids.add(name);
    }
    for (const id of await leftoverCgroupIds(prefix)) ids.add(id);
    for (const id of ids) await this.removeContainer(id);
  }
}

class RuncContainer implements Container {
  private destroying?: Promise<void>;

  constructor(
    readonly id: string,
    readonly pid: number,
    private readonly child: ChildProcess,
    readonly stdout: Readable,
    readonly stderr: Readable,
    readonly exited: Promise<ExitStatus>,
    private readonly runtime: RuncRuntime,
  ) {}

  async signal(signal: 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT'): Promise<void> {
    await this.runtime.kill(this.id, signal);
  }

  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.runtime.kill(this.id, 'SIGKILL');
      const timeout = new Promise<'timeout'>((r) => setTimeout(r, KILL_TIMEOUT_MS, 'timeout').unref());
      if ((await Promise.race([this.exited, timeout])) === 'timeout') this.child.kill('SIGKILL');
    }
    await this.exited.catch(() => undefined);
    await this.runtime.removeContainer(this.id);
  }
}

/** Polls runc's pid file until it appears, or resolves undefined once runc exits without one. */
async function waitForPid(pidFile: string, runcExit: Promise<number>): Promise<number | undefined> {
  let exited = false;
  void runcExit.then(() => (exited = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    // Checked before reading so the file gets one last look after runc exited (a fast command
    // can exit before the first poll).
    const last = exited;
    const text = await readFile(pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (text.trim() && pid > 0) return pid;
    if (last || Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The error runc logged (JSON lines with level error/fatal), for start() failures. */
async function runcError(logFile: string): Promise<string> {
  const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const errors: string[] = [];
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) errors.push(entry.msg);
    } catch {
      errors.push(line);
    }
  }
  return errors.join('; ') || 'runc exited without creating it (no error logged)';
}

/** runc reports a container that is already stopped or deleted as an error; for us it is done. */
function ignoreGone(err: Error): void {
  if (/not running|does not exist|not exist|container not found|process already finished/i.test(err.message)) return;
  throw err;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
