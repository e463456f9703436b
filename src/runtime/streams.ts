// A container's output streams: relayed so no byte is lost before the caller reads, and awaited
// (within a bound) so that `exited` comes after the last output line, as a log reader expects.
import { finished } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';

/**
 * Node discards a child's stdout/stderr that nobody listens to once the child exits, so a fast
 * command's output would be lost before start() even returns. Piping into a PassThrough right
 * away keeps it. Bound: the PassThrough's 16 KiB plus the kernel pipe; when the caller does not
 * read, pipe() stops reading the child, and the container's own writes block (back-pressure).
 */
export function relay(source: Readable): PassThrough {
  const out = new PassThrough();
  source.pipe(out);
  return out;
}

/**
 * How long exit reporting waits for stdout/stderr to be read to their end. Once the container's
 * processes are gone the pipes are at EOF, so only a reader that does not consume (or is slower
 * than this) delays `exited`, by at most this much; its data is still delivered afterwards.
 */
export const OUTPUT_DRAIN_MS = 2000;

export async function outputEnded(streams: Readable[], ms = OUTPUT_DRAIN_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  const all = Promise.all(streams.map((s) => finished(s).catch(() => undefined)));
  await Promise.race([all, bound]);
  clearTimeout(timer);
}
