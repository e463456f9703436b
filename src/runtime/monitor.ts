// Each runc container runs detached under its own small monitor, Debian's `conmon` (the one podman
// uses): a C process of about 2 MB resident instead of a foreground `runc run` (a Go process of about
// 10 MB) for the container's whole life. conmon runs `runc create`, stays the parent of the container's
// init, writes its exit status to a file when it ends, and exits. Its `passthrough` log mode hands the
// container our own pipes as its stdout and stderr, so output and back-pressure work exactly as with
// `runc run`; nothing is copied by the monitor and nothing goes to disk. Then `runc start` lets the
// process run. A container with stdin (an attached one-off) gets a pipe of ours as its stdin the same
// way (startMonitored's `stdin`); its pseudo-terminal, when it has one, is made inside the dyno (the
// dyno manager runs the command under util-linux `script`), so no monitor ever holds a terminal.
//
// The end of the container is seen when conmon's exit file appears (one inotify watch of the exit
// dir, shared), or else once the output pipes have closed and conmon has exited (a conmon killed
// before it could write the file: then 137). No polling while the container runs.
//
// A platform killed meanwhile leaves conmon and its container running, as it left `runc run` before;
// the next platform's cleanup deletes the container, its conmon then exits (stopMonitor waits for it,
// so no exit file is written after the sweep).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { relay } from './streams.ts';
import { START_TIMEOUT_MS, runcErrors, signalNumber } from './runc-container.ts';
import { alive } from '../supervise/index.ts';

const TOOL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** conmon and runc see only this environment. */
export const MONITOR_ENV = { PATH: TOOL_PATH };
/** How long stopMonitor waits for a monitor to exit after its container was deleted before SIGKILL. */
const MONITOR_EXIT_MS = 3000;

export interface MonitorPaths {
  id: string;
  bundle: string;
  /** runc's state root. */
  runcRoot: string;
  /** Where conmon writes `<id>` with the exit status (outside the bundle, which the sweep removes). */
  exitDir: string;
}

export interface Monitored {
  /** Host pid of the container's init. */
  pid: number;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit status (the process's code, or 128 + signal) once the container has ended. */
  ended: Promise<number>;
  /** Whether the container's end has been reported. */
  done(): boolean;
}

/** The files of one monitored container. */
export function monitorFiles(p: MonitorPaths) {
  return {
    pidFile: path.join(p.bundle, 'pid'),
    monitorPidFile: path.join(p.bundle, 'conmon.pid'),
    logFile: path.join(p.bundle, 'runc.log'),
    exitFile: path.join(p.exitDir, p.id),
  };
}

/**
 * Creates the container under a new conmon, then starts it. Rejects (after stopping whatever was made:
 * the caller removes the rest) with runc's own words when it cannot be created or started.
 *
 * `stdin`: the container's stdin is a pipe of ours (Monitored.stdin) instead of /dev/null. Node closes
 * a child's stdin when that child exits, and conmon's first process exits at once when conmon forks
 * itself away from its parent: with stdin, conmon runs `--sync` (it does not fork, so the process we
 * spawned is the monitor, living as long as the container), and its pid file is ours to write.
 */
export async function startMonitored(p: MonitorPaths, opts: { stdin?: boolean } = {}): Promise<Monitored> {
  const f = monitorFiles(p);
  await mkdir(p.exitDir, { recursive: true, mode: 0o700 });
  await rm(f.exitFile, { force: true });
  const runtimeArgs = ['--root', p.runcRoot, '--log', f.logFile, '--log-format', 'json'].flatMap((a) => ['--runtime-arg', a]);
  // detached: a Ctrl-C at the platform's terminal must not reach the monitor; the dyno manager decides
  // how dynos stop. fd 3 is conmon's sync pipe: it reports the container's pid once created, or why not.
  const child = spawn(binary('conmon'), [
    '--api-version', '1', '--cid', p.id, '--cuuid', p.id, '--name', p.id, '--runtime', binary('runc'), ...runtimeArgs,
    '--bundle', p.bundle, '--container-pidfile', f.pidFile,
    ...(opts.stdin ? ['--sync'] : ['--conmon-pidfile', f.monitorPidFile]),
    '--exit-dir', p.exitDir, '--log-path', 'passthrough:', '--no-sync-log',
  ], {
    // conmon writes an `oom` file into its working directory when the container is OOM-killed: keep it
    // in the bundle, which goes with the container.
    cwd: p.bundle, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'], env: { ...MONITOR_ENV, _OCI_SYNCPIPE: '3' }, detached: true,
  });
  // Listened to before anything is awaited, so a failure to spawn is reported, never thrown.
  const monitorExit = exitOf(child);
  // Writes after the container has ended fail with EPIPE: nothing to report, the exit says it all.
  child.stdin?.on('error', () => undefined);
  const pipesClosed = Promise.all([closeOf(child.stdout!), closeOf(child.stderr!)]);
  const stdout = relay(child.stdout!);
  const stderr = relay(child.stderr!);
  // Written before anything can fail, so a failed start and a later sweep find this monitor as they
  // find a forked one.
  if (opts.stdin && child.pid) await writeFile(f.monitorPidFile, String(child.pid), { mode: 0o600 });
  const created = await syncReport(child.stdio[3] as Readable, monitorExit);
  const fail = async (why: string): Promise<never> => {
    stdout.destroy();
    stderr.destroy();
    child.kill('SIGKILL');
    const pid = Number((await readFile(f.monitorPidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0 && (await isMonitorOf(pid, p.id))) process.kill(pid, 'SIGKILL');
    throw new Error(`runc could not start container ${p.id}: ${why}`);
  };
  if (typeof created === 'string') return fail((await runcErrors(f.logFile)).join('; ') || created);
  const pid = created;
  const started = await runStart(p);
  if (started !== undefined) return fail(started);
  let ended = false;
  const written = exits.appeared(p.exitDir, p.id);
  // conmon may close its copies of the pipes before it writes the file: then its own exit is the end.
  const monitorGone = pipesClosed.then(() => exited(f.monitorPidFile, p.id));
  const status = Promise.race([written.promise, monitorGone])
    .then(() => { written.cancel(); return exitStatus(f.exitFile); })
    .finally(() => { ended = true; });
  return { pid, stdin: child.stdin, stdout, stderr, ended: status, done: () => ended };
}

/**
 * The status conmon wrote (read again for a moment while it may be half-written); when there is none
 * (its monitor was killed before the container ended), 137, as for a container killed outright.
 */
async function exitStatus(exitFile: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const text = (await readFile(exitFile, 'utf8').catch(() => '')).trim();
    if (/^-?\d+$/.test(text)) {
      const code = Number(text);
      return code < 0 ? 128 - code : code;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return 137;
}

/** Resolves once the container's conmon has exited (bounded: MONITOR_EXIT_MS). */
async function exited(monitorPidFile: string, id: string): Promise<void> {
  const pid = Number((await readFile(monitorPidFile, 'utf8').catch(() => '')).trim());
  const deadline = Date.now() + MONITOR_EXIT_MS;
  while (pid > 0 && alive(pid) && (await isMonitorOf(pid, id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** One inotify watch per exit dir, shared by the containers waiting on it; closed when none waits. */
class ExitFiles {
  private readonly dirs = new Map<string, { watcher: FSWatcher; waiting: Map<string, () => void> }>();

  /** Resolves once `<dir>/<id>` exists; cancel() stops waiting (the promise then never settles). */
  appeared(dir: string, id: string): { promise: Promise<void>; cancel: () => void } {
    let entry = this.dirs.get(dir);
    if (!entry) {
      const waiting = new Map<string, () => void>();
      const watcher = watch(dir, (_event, name) => { if (name) waiting.get(name.toString())?.(); });
      watcher.on('error', () => undefined);
      watcher.unref();
      entry = { watcher, waiting };
      this.dirs.set(dir, entry);
    }
    const e = entry;
    const cancel = () => {
      e.waiting.delete(id);
      if (e.waiting.size === 0 && this.dirs.get(dir) === e) {
        e.watcher.close();
        this.dirs.delete(dir);
      }
    };
    const promise = new Promise<void>((resolve) => {
      e.waiting.set(id, () => { cancel(); resolve(); });
      // Written before the watch began.
      if (existsSync(path.join(dir, id))) e.waiting.get(id)?.();
    });
    return { promise, cancel };
  }
}

const exits = new ExitFiles();

/**
 * conmon's first report on its sync pipe: the container's pid once `runc create` succeeded, else why
 * not (its message, or how it ended). Bounded by START_TIMEOUT_MS.
 */
function syncReport(pipe: Readable, monitorExit: Promise<number>): Promise<number | string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => finish(`not created within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const finish = (result: number | string) => {
      clearTimeout(timer);
      pipe.removeAllListeners('data');
      pipe.destroy();
      resolve(result);
    };
    pipe.setEncoding('utf8');
    pipe.on('data', (d: string) => {
      text = (text + d).slice(-8192);
      try {
        const report = JSON.parse(text) as { data?: number; message?: string };
        if (typeof report.data === 'number' && report.data > 0) finish(report.data);
        else finish(report.message?.trim() || 'conmon could not create it (no reason given)');
      } catch { /* not whole yet */ }
    });
    pipe.on('error', () => undefined);
    pipe.once('end', () => finish(text.trim() || 'conmon exited without creating it'));
    void monitorExit.then((code) => { if (code !== 0) finish(`conmon exited with status ${code}`); });
  });
}

/** `runc start`: undefined when the process is running, else runc's complaint. */
function runStart(p: MonitorPaths): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(binary('runc'), ['--root', p.runcRoot, 'start', p.id], { stdio: ['ignore', 'ignore', 'pipe'], env: MONITOR_ENV, detached: true });
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('error', (e) => resolve(e.message));
    child.on('close', (code) => resolve(code === 0 ? undefined : (err.trim() || `runc start exited with ${code}`)));
  });
}

/**
 * After the container was deleted: waits (bounded) for its conmon to notice and exit, SIGKILLs it if
 * it does not, and removes its exit file, so nothing of the container is written after this returns.
 */
export async function stopMonitor(p: MonitorPaths): Promise<void> {
  const f = monitorFiles(p);
  const pid = Number((await readFile(f.monitorPidFile, 'utf8').catch(() => '')).trim());
  if (pid > 0 && (await isMonitorOf(pid, p.id))) {
    const deadline = Date.now() + MONITOR_EXIT_MS;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (alive(pid)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
    }
  }
  await rm(f.exitFile, { force: true });
}

/** The pid is still this container's conmon (not a pid reused since). */
async function isMonitorOf(pid: number, id: string): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.startsWith('conmon\0') || cmdline.includes('/conmon\0') ? cmdline.split('\0').includes(id) : false;
}

function closeOf(stream: Readable): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
}

const resolved = new Map<string, string>();

/** The tool's absolute path (conmon wants the runtime's); a clear error naming the fix when missing. */
function binary(name: 'conmon' | 'runc'): string {
  const known = resolved.get(name);
  if (known) return known;
  for (const dir of TOOL_PATH.split(':')) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      resolved.set(name, candidate);
      return candidate;
    } catch { /* next */ }
  }
  throw new Error(`${name} is not installed (scripts/install-deps.sh installs it)`);
}
