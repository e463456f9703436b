// One running runc container as the rest of the platform sees it (the Container interface): its
// streams, exit, address, samples, exec, signals and destroy(); plus the small helpers runc.ts shares
// with it for reading runc's log. The runc commands themselves live in runc.ts.
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Container, ContainerStats, ExitStatus } from './types.ts';
import { readStats } from './cgroups.ts';

/** How long a container's creation may take before start() gives up. */
export const START_TIMEOUT_MS = 30_000;
/** How long destroy() waits for a SIGKILLed container's runc to exit. */
const KILL_TIMEOUT_MS = 15_000;

/** What a container asks of its runtime (RuncRuntime implements it). */
export interface RuncOperations {
  kill(id: string, signal: string): Promise<void>;
  exec(id: string, argv: string[], cwd: string, env?: Record<string, string>): Promise<number>;
  removeContainer(id: string): Promise<void>;
}

export interface RuncContainerInit {
  id: string;
  pid: number;
  /** The container's stdin when asked for (a pipe its monitor handed it), else null. */
  stdin: Writable | null;
  /** Whether the container's init is still running (its monitor has not reported its end). */
  running: () => boolean;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<ExitStatus>;
  /** The container's network address (127.0.0.1 on host networking). */
  address: string;
  /** Where exec() runs: /app for dynos, the spec's cwd for builds. */
  execCwd: string;
}

export class RuncContainer implements Container {
  readonly id: string;
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ExitStatus>;
  readonly address: string;
  /** Set when the spec asked for stdin. Writes after the exit fail with EPIPE, which is ignored here. */
  readonly stdin: Writable | null;
  private readonly running: () => boolean;
  private readonly execCwd: string;
  private destroying?: Promise<void>;

  constructor(init: RuncContainerInit, private readonly runtime: RuncOperations) {
    this.id = init.id;
    this.pid = init.pid;
    this.running = init.running;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
    this.exited = init.exited;
    this.address = init.address;
    this.execCwd = init.execCwd;
    this.stdin = init.stdin;
  }

  stats(): Promise<ContainerStats | undefined> {
    return readStats(this.id);
  }

  exec(argv: string[], env?: Record<string, string>): Promise<number> {
    return this.runtime.exec(this.id, argv, this.execCwd, env);
  }

  async signal(signal: 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT'): Promise<void> {
    await this.runtime.kill(this.id, signal);
  }

  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    if (this.running()) {
      await this.runtime.kill(this.id, 'SIGKILL');
      const timeout = new Promise<'timeout'>((r) => setTimeout(r, KILL_TIMEOUT_MS, 'timeout').unref());
      // Not ended in time (its monitor is stuck or gone): removeContainer() deletes it by force.
      if ((await Promise.race([this.exited, timeout])) === 'timeout') {
        await this.runtime.removeContainer(this.id);
        return;
      }
    }
    await this.exited.catch(() => undefined);
    await this.runtime.removeContainer(this.id);
  }
}

/** The errors runc logged (JSON lines with level error/fatal); none when the log is absent. */
export async function runcErrors(logFile: string): Promise<string[]> {
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
  return errors;
}

/** runc reports a container that is already stopped or deleted as an error; for us it is done. */
export function ignoreGone(err: Error): void {
  if (/not running|does not exist|not exist|container not found|process already finished/i.test(err.message)) return;
  throw err;
}

export function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
