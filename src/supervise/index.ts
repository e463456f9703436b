// Supervising the servers the platform runs as its own children (HAProxy for the router, PostgreSQL
// and Redis for add-ons): the steps each of them needs, in one place.
//   - A leftover of a platform that was killed outright is found by its pid file, confirmed to be the
//     expected program (so a recycled pid is never signalled), and stopped before a new one starts.
//   - Stopping sends the server's own shutdown signal and SIGKILL after a grace period.
//   - Readiness is a probe polled until it answers, while the process lives, for a bounded time.
// Spawning stays with each caller (their environments and output handling differ).
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pid in a pid file's first line, when there is one. */
export async function readPidFile(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).split('\n')[0]!.trim());
  return pid > 1 ? pid : undefined;
}

/** Whether a process runs (signal 0). */
export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/**
 * Stops the process a pid file names, if `ours(pid)` confirms it is the program expected: `signal`,
 * then SIGKILL after `graceMs`; resolves once it is gone (or after a bounded wait past SIGKILL).
 */
export async function stopLeftover(o: { pidFile: string; ours: (pid: number) => Promise<boolean>; signal: NodeJS.Signals; graceMs: number; pollMs?: number }): Promise<void> {
  const pid = await readPidFile(o.pidFile);
  if (pid === undefined || !(await o.ours(pid))) return;
  const poll = o.pollMs ?? 100;
  try { process.kill(pid, o.signal); } catch { return; }
  const deadline = Date.now() + o.graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(poll);
  if (alive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ } }
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(poll);
}

/** `/proc/<pid>/comm` starts with `name` (the process is that program). */
export async function commIs(pid: number, name: string): Promise<boolean> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim().startsWith(name);
}

/** `/proc/<pid>/cmdline` contains `text` (e.g. the config file it was started with). */
export async function cmdlineHas(pid: number, text: string): Promise<boolean> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(text);
}

export function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Stops a child: `signal`, SIGKILL after `graceMs`; resolves when `exited` does. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!running(child)) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Polls `probe` every `intervalMs` until it answers true. Throws when `gone()` names why the process
 * cannot become ready (it exited), or after `timeoutMs` with `what` in the message.
 */
export async function waitReady(probe: () => Promise<boolean>, o: { timeoutMs: number; intervalMs: number; gone: () => string | undefined; what: string }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    const why = o.gone();
    if (why) throw new Error(why);
    if (await probe().catch(() => false)) return;
    await sleep(o.intervalMs);
  }
  throw new Error(`${o.what} within ${o.timeoutMs / 1000} s`);
}
