// Runs one buildpack script (detect, compile or release) in a build container and streams its output.
import type { ContainerSpec, Runtime } from '../runtime/types.ts';

export interface StepResult {
  code: number;
  stdout: string;
  timedOut: boolean;
}

export interface StepOptions {
  runtime: Runtime;
  spec: ContainerSpec;
  /** Receives stdout and stderr as they arrive (compile's output goes to the pusher). */
  onOutput?: (chunk: string) => void;
  /** Keep stdout in the result (detect names the app kind there, release prints YAML). */
  captureStdout?: boolean;
  /** The build's deadline (ms since epoch); the container is killed when it passes. */
  deadline: number;
  /** Called once the container has started (the deploy's phases record it). */
  onStarted?: () => void;
}

export async function runStep(o: StepOptions): Promise<StepResult> {
  const c = await o.runtime.start(o.spec);
  o.onStarted?.();
  let stdout = '';
  let timedOut = false;
  c.stdout.setEncoding('utf8');
  c.stderr.setEncoding('utf8');
  c.stdout.on('data', (d: string) => {
    if (o.captureStdout) stdout += d;
    o.onOutput?.(d);
  });
  c.stderr.on('data', (d: string) => o.onOutput?.(d));
  const timer = setTimeout(() => {
    timedOut = true;
    void c.signal('SIGKILL');
  }, Math.max(0, o.deadline - Date.now()));
  try {
    // Output can still be in flight when the process is reaped; wait for both streams to end too.
    const ended = (s: NodeJS.ReadableStream) => new Promise<void>((r) => { s.once('end', r); s.once('close', r); });
    const [status] = await Promise.all([c.exited, ended(c.stdout), ended(c.stderr)]);
    return { code: status.code, stdout, timedOut };
  } finally {
    clearTimeout(timer);
    await c.destroy();
  }
}
