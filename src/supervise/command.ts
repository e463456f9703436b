// The short commands the platform runs for its parts (ip, iptables, runc, mount, losetup, pg_ctl, ...)
// run in a process group of their own. A Ctrl-C at the platform's terminal is a SIGINT to the whole
// foreground process group, and `kill -TERM -<pgid>` the same: it is meant for the platform, which
// then stops every dyno with these very commands. A command caught by it halfway (an `ip link delete`,
// a `runc delete`) died with the signal and left a namespace, a mount or a cgroup behind; found by the
// test helper that checks what a stopped platform leaves. The servers it runs for a long time (conmon,
// the add-on servers) and the commands that take input are spawned `detached` the same way by their callers.
import { spawn } from 'node:child_process';

export interface CommandOutput {
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Bytes of stdout (and of stderr) kept before the command is killed; 1 MiB by default, as execFile's. */
  maxBuffer?: number;
  /** Milliseconds before the command gets SIGTERM; none by default. */
  timeout?: number;
}

/** An error of a command that failed: its output is on it, as with `promisify(execFile)`. */
export type CommandError = Error & CommandOutput & { code: number | string | null; signal: NodeJS.Signals | null };

/**
 * A command in a process group of its own (see the header), as `promisify(execFile)` runs it:
 * resolves with its output when it exits 0; rejects with an error carrying the output, the exit code
 * (or the spawn error's code, e.g. ENOENT) and the signal that killed it.
 */
export function runCommand(cmd: string, args: readonly string[] = [], options: CommandOptions = {}): Promise<CommandOutput> {
  const limit = options.maxBuffer ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = { stdout: '', stderr: '' };
    let overflow: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const collect = (stream: 'stdout' | 'stderr') => (chunk: string) => {
      out[stream] += chunk;
      if (out[stream].length > limit && overflow === undefined) {
        overflow = `${stream} passed ${limit} bytes`;
        child.kill('SIGKILL');
      }
    };
    child.stdout.setEncoding('utf8').on('data', collect('stdout'));
    child.stderr.setEncoding('utf8').on('data', collect('stderr'));
    if (options.timeout) timer = setTimeout(() => child.kill('SIGTERM'), options.timeout);
    const fail = (message: string, code: number | string | null, signal: NodeJS.Signals | null) =>
      reject(Object.assign(new Error(message), out, { code, signal }) as CommandError);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(err.message, err.code ?? null, null);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = [cmd, ...args].join(' ');
      if (overflow) fail(`Command failed: ${line}: ${overflow}`, code, signal);
      else if (code === 0) resolve(out);
      else fail(`Command failed: ${line}\n${out.stderr}`, code, signal);
    });
  });
}
