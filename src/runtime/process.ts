// The fallback runtime for machines where runc cannot run (not root, not Linux): each build or dyno
// is a plain child process in its own process group. Nothing is isolated and no limit is enforced
// (no network namespace either: every container's address is 127.0.0.1), and it says so loudly.
// /app becomes a per-container copy of the slug; bind mounts cannot be made, so each container
// exposes `mountMap` for callers to translate container paths to host paths.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Container, ContainerSpec, ContainerStats, ExitStatus, Runtime } from './types.ts';
import { DYNO_GID, DYNO_UID } from './types.ts';
import { procState } from './cgroups.ts';
import { normalizeDest, validateSpec } from './bundle.ts';
import { STACK_NAME } from './stack.ts';
import { outputEnded, relay } from './streams.ts';
import { componentLogger } from '../logger/index.ts';
import { runCommand as run } from '../supervise/command.ts';

export const PROCESS_RUNTIME_WARNING = 'WARNING: process runtime: dynos and builds are NOT isolated';

export interface ProcessRuntimeOptions {
  /** Where per-container dirs (the /app copy, the pid record) live. */
  stateDir: string;
  /** Where the warnings go. Default: the runtime's log, warn level. */
  warn?: (line: string) => void;
}

export interface ProcessContainer extends Container {
  /**
   * Container path → host path for /app and every spec mount: the process sees host paths, so a
   * caller that hands it a container path (in env or argv) must translate it with this map.
   */
  readonly mountMap: Readonly<Record<string, string>>;
}

/** How long destroy() waits for a SIGKILLed process group's leader to be reaped. */
const KILL_TIMEOUT_MS = 10_000;

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  /** The app's stack stays what the platform promises; only where it comes from differs. */
  readonly stack = STACK_NAME;
  readonly stackDir = '/';
  private readonly stateDir: string;
  private readonly warn: (line: string) => void;

  constructor(options: ProcessRuntimeOptions) {
    this.stateDir = path.resolve(options.stateDir);
    this.warn = options.warn ?? ((line) => componentLogger(undefined, 'runtime').warn(line));
    this.warn(PROCESS_RUNTIME_WARNING);
  }

  /** Nothing runs as another user here: the stack's `dyno` account owns what builds write. */
  async userFor(_tenant: string): Promise<{ uid: number; gid: number }> {
    return { uid: DYNO_UID, gid: DYNO_GID };
  }

  async prepare(progress: (line: string) => void): Promise<void> {
    progress('process runtime: the host itself serves as the stack; nothing to build');
  }

  async start(spec: ContainerSpec): Promise<ProcessContainer> {
    validateSpec(spec);
    this.warn(`${PROCESS_RUNTIME_WARNING} (starting ${spec.id} without limits or a private filesystem)`);
    const dir = path.join(this.stateDir, 'containers', spec.id);
    await mkdir(path.dirname(dir), { recursive: true });
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`container ${spec.id} already exists (destroy it, or cleanup() after a crash)`);
      }
      throw err;
    }
    try {
      const mountMap: Record<string, string> = {};
      for (const m of spec.mounts) mountMap[normalizeDest(m.destination)] = m.source;
      if (spec.app) {
        // A copy stands in for the overlay: writable, private to this container, gone on destroy.
        await run('cp', ['-a', spec.app.lower, path.join(dir, 'app')]);
        // The slug's layers go beneath what the app part has (layers hold only their own directories).
        for (const layer of spec.app.layers ?? []) await run('cp', ['-a', '-n', `${layer}/.`, path.join(dir, 'app')]);
        mountMap['/app'] = path.join(dir, 'app');
      }
      // Without a mount namespace the container paths don't exist: rewrite them wherever they appear in
      // the command line and the environment (the platform's own commands name them, e.g. `cd /app`).
      const rewrite = (s: string) => rewritePaths(s, mountMap);
      const child = spawn(rewrite(spec.argv[0]!), spec.argv.slice(1).map(rewrite), {
        cwd: translate(spec.cwd, mountMap),
        env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, rewrite(v)])),
        // Its own process group, so signal() reaches every process it starts.
        detached: true,
        stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      // Writes after the exit fail with EPIPE; `exited` is how its end is reported.
      child.stdin?.on('error', () => undefined);
      const stdout = relay(child.stdout!);
      const stderr = relay(child.stderr!);
      // Listened for before any await, so a command that exits at once is not missed.
      const exited = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => {
          // As in a pid namespace, the init process's end is everyone's end.
          if (child.pid) killGroup(child.pid, 'SIGKILL');
          const status = { code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0), oomKilled: false };
          void outputEnded([stdout, stderr]).then(() => resolve(status));
        });
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      const pid = child.pid!;
      await writeFile(path.join(dir, 'pid'), `${pid} ${await processIdentity(pid)}\n`);
      const execCwd = translate(spec.app ? '/app' : spec.cwd, mountMap);
      const execEnv = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, rewrite(v)]));
      return new ChildContainer(spec.id, child, stdout, stderr, exited, dir, mountMap, { cwd: execCwd, env: execEnv });
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async cleanup(prefix: string): Promise<void> {
    const root = path.join(this.stateDir, 'containers');
    for (const name of await readdir(root).catch(() => [] as string[])) {
      if (!name.startsWith(prefix)) continue;
      const dir = path.join(root, name);
      const [pidText, ...identity] = (await readFile(path.join(dir, 'pid'), 'utf8').catch(() => '')).trim().split(' ');
      const pid = Number(pidText);
      // Only a process that is still the one we started: pids are reused.
      if (pid > 0 && identity.join(' ') && (await processIdentity(pid)) === identity.join(' ')) {
        killGroup(pid, 'SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    }
  }
}

class ChildContainer implements ProcessContainer {
  readonly pid: number;
  /** No network namespace: the container's ports are the host's. */
  readonly address = '127.0.0.1';
  readonly stdin: Writable | null;
  private destroying?: Promise<void>;
  /** exec()'s processes: not in the container's process group (Node cannot join one), so destroy() kills each. */
  private readonly execs = new Set<ChildProcess>();

  constructor(
    readonly id: string,
    private readonly child: ChildProcess,
    readonly stdout: Readable,
    readonly stderr: Readable,
    readonly exited: Promise<ExitStatus>,
    private readonly dir: string,
    readonly mountMap: Readonly<Record<string, string>>,
    private readonly execDefaults: { cwd: string; env: Record<string, string> },
  ) {
    this.pid = child.pid!;
    this.stdin = child.stdin;
  }

  /** Summed over the process group from /proc (Linux only); no cgroup, so no page cache or paging figures. */
  async stats(): Promise<ContainerStats | undefined> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return undefined;
    return processGroupStats(this.pid);
  }

  async exec(argv: string[], env?: Record<string, string>): Promise<number> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`exec in container ${this.id}: it has exited`);
    const p = spawn(rewritePaths(argv[0]!, this.mountMap), argv.slice(1).map((a) => rewritePaths(a, this.mountMap)), {
      cwd: this.execDefaults.cwd, env: env ?? this.execDefaults.env, stdio: 'ignore',
    });
    this.execs.add(p);
    try {
      return await new Promise<number>((resolve, reject) => {
        p.once('error', reject);
        p.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
      });
    } finally {
      this.execs.delete(p);
    }
  }

  async signal(signal: 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) killGroup(this.pid, signal);
  }

  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    for (const p of this.execs) p.kill('SIGKILL');
    if (this.child.exitCode === null && this.child.signalCode === null) {
      killGroup(this.pid, 'SIGKILL');
      const timeout = new Promise((r) => setTimeout(r, KILL_TIMEOUT_MS).unref());
      await Promise.race([this.exited, timeout]);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Maps a container path to the host path behind the deepest matching mount; else unchanged. */
export function translate(containerPath: string, mountMap: Readonly<Record<string, string>>): string {
  const p = normalizeDest(containerPath);
  let best: string | undefined;
  for (const dest of Object.keys(mountMap)) {
    if ((p === dest || p.startsWith(dest + '/')) && (!best || dest.length > best.length)) best = dest;
  }
  return best === undefined ? p : path.join(mountMap[best]!, p.slice(best.length));
}

/** Replaces every container path in `text` that starts with a mount destination by its host path. */
export function rewritePaths(text: string, mountMap: Readonly<Record<string, string>>): string {
  const dests = Object.keys(mountMap).sort((a, b) => b.length - a.length);
  if (dests.length === 0) return text;
  const escaped = dests.map((d) => d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp(`(^|[\\s=:'"(;])(${escaped.join('|')})(?=$|[/\\s'";:)])`, 'g');
  return text.replace(re, (_m, lead: string, dest: string) => lead + mountMap[dest]);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already empty.
  }
}

/** Resident memory, swap and runnable threads of every process in a process group, from /proc. */
async function processGroupStats(pgid: number): Promise<ContainerStats | undefined> {
  if (process.platform !== 'linux') return undefined;
  const stats: ContainerStats = { rssBytes: 0, cacheBytes: 0, swapBytes: 0, pgpgin: 0, pgpgout: 0, runnable: 0 };
  let found = false;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name: state ppid pgrp ...
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
    found = true;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    stats.rssBytes += kb('VmRSS');
    stats.swapBytes += kb('VmSwap');
    for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
      if (procState(await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => '')) === 'R') stats.runnable++;
    }
  }
  return found ? stats : undefined;
}

/**
 * A value that changes when a pid is reused: the start time (in clock ticks since boot) from
 * /proc on Linux, `ps`'s start time elsewhere. Empty when the process does not exist.
 */
async function processIdentity(pid: number): Promise<string> {
  if (process.platform === 'linux') {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name (which may contain spaces); starttime is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  }
  return (await run('ps', ['-o', 'lstart=', '-p', String(pid)]).catch(() => ({ stdout: '' }))).stdout.trim();
}
