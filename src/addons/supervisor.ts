// Runs the add-on servers (postgres, redis-server) as child processes and keeps them running.
//
// Contract: start() resolves once the server answers its readiness probe, or rejects (and leaves
// nothing running) with the tail of its log. A server that exits unexpectedly is restarted after 1 s,
// doubling up to 30 s while it keeps failing. stop() sends the server's own shutdown signal (postgres:
// SIGINT, a fast shutdown; redis: SIGTERM, which saves), SIGKILL after 30 s. Servers run in their own
// process group, so a ctrl-C at the platform's terminal does not reach them before the dynos using them
// have stopped; a platform killed outright leaves them running, and the next start stops the leftover
// (found by the pid file the server itself writes) before starting it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { commIs, running, stopChild, stopLeftover as stopPidFile, waitReady as poll } from '../supervise/index.ts';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const MAX_RESTART_DELAY_MS = 30_000;
/**
 * All a server gets of the platform's environment: a fixed PATH and locale. Nothing of the platform's
 * own (its operator key, an operator's shell variables) reaches a process other tenants connect to.
 */
export const SERVER_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

export interface ServerSpec {
  /** Unique key and log label, e.g. `postgresql shared`. */
  name: string;
  command: [string, string[]];
  /** The server's stdout and stderr are appended here. */
  logFile: string;
  stopSignal: NodeJS.Signals;
  /** The pid file the server writes (first line = pid), to find a leftover of an earlier run. */
  pidFile: string;
  /** Process name (`/proc/<pid>/comm`) a leftover must have before it is signalled. */
  comm: string;
  ready(): Promise<boolean>;
}

interface Running {
  spec: ServerSpec;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
  /** Became ready once: from then on an exit means a restart (before, start() reports the failure). */
  started: boolean;
  restartTimer?: NodeJS.Timeout;
  failures: number;
}

export class Supervisor {
  private readonly servers = new Map<string, Running>();
  private readonly starting = new Map<string, Promise<void>>();

  constructor(private readonly say: (line: string) => void) {}

  has(name: string): boolean {
    return this.servers.has(name);
  }

  /** Starts the server unless it runs; concurrent calls for one server share one start. */
  start(spec: ServerSpec): Promise<void> {
    if (this.servers.has(spec.name)) return Promise.resolve();
    let starting = this.starting.get(spec.name);
    if (!starting) {
      starting = this.startNow(spec).finally(() => this.starting.delete(spec.name));
      this.starting.set(spec.name, starting);
    }
    return starting;
  }

  private async startNow(spec: ServerSpec): Promise<void> {
    await stopLeftover(spec);
    const entry = this.spawn(spec);
    this.servers.set(spec.name, entry);
    try {
      await waitReady(spec, entry);
      entry.started = true;
    } catch (err) {
      await this.stop(spec.name);
      const log = await readFile(spec.logFile, 'utf8').catch(() => '');
      throw new Error(`${spec.name} did not start: ${(err as Error).message}${log ? `\n${log.trim().split('\n').slice(-8).join('\n')}` : ''}`);
    }
  }

  async stop(name: string): Promise<void> {
    const entry = this.servers.get(name);
    if (!entry) return;
    entry.stopping = true;
    if (entry.restartTimer) clearTimeout(entry.restartTimer);
    await stopChild(entry.child, entry.exited, entry.spec.stopSignal, STOP_TIMEOUT_MS);
    this.servers.delete(name);
  }

  async stopAll(): Promise<void> {
    // Each stop runs to its end whatever another's fails with; the first failure is reported.
    const failed = (await Promise.allSettled([...this.servers.keys()].map((n) => this.stop(n)))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private spawn(spec: ServerSpec, previous?: Running): Running {
    const fd = openSync(spec.logFile, 'a', 0o600);
    // Through `choom -n 0` (which then execs the server, same pid): the server and everything it forks
    // run at the kernel's default OOM score, not the platform's lowered one (platform/oom.ts), so under
    // memory pressure a tenant's database is no safer than its dynos. Raising a score needs no privilege.
    const child = spawn('choom', ['-n', '0', '--', spec.command[0], ...spec.command[1]], { detached: true, stdio: ['ignore', fd, fd], env: { ...SERVER_ENV } });
    closeSync(fd);
    const entry: Running = previous ?? { spec, child, exited: Promise.resolve(), stopping: false, started: false, failures: 0 };
    entry.child = child;
    entry.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.say(`${spec.name}: ${err.message}`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        resolve();
        if (entry.stopping || !entry.started) return;
        entry.failures++;
        const delay = Math.min(1000 * 2 ** (entry.failures - 1), MAX_RESTART_DELAY_MS);
        this.say(`${spec.name} exited (${signal ?? `status ${code}`}); restarting in ${delay / 1000} s (log: ${spec.logFile})`);
        entry.restartTimer = setTimeout(() => {
          if (entry.stopping) return;
          this.spawn(spec, entry);
          void waitReady(spec, entry).then(() => (entry.failures = 0), () => undefined);
        }, delay);
      });
    });
    return entry;
  }
}

function waitReady(spec: ServerSpec, entry: Running): Promise<void> {
  return poll(() => spec.ready(), {
    timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, what: 'not ready',
    gone: () => (running(entry.child) ? undefined : `it exited (${entry.child.signalCode ?? `status ${entry.child.exitCode}`})`),
  });
}

/**
 * A server left running by a platform that was killed: stopped before a new one takes its files, and
 * also when no add-on needs it any more (providers call this for every server dir they find).
 */
export function stopLeftover(spec: Pick<ServerSpec, 'pidFile' | 'comm' | 'stopSignal'>): Promise<void> {
  return stopPidFile({ pidFile: spec.pidFile, ours: (pid) => commIs(pid, spec.comm), signal: spec.stopSignal, graceMs: STOP_TIMEOUT_MS });
}

/** Runs every start, one after the other; one that fails does not keep the others down. */
export async function startEach(starts: (() => Promise<void>)[]): Promise<void> {
  const failures: string[] = [];
  for (const start of starts) await start().catch((err: Error) => failures.push(err.message));
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
