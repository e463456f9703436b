// One drain's backlog: lines accepted from the app's stream and not yet handed to the transport.
//
// Bound: at most `capacity` lines (logplex's default, 1024). When full, the OLDEST line is dropped for
// each new one (a drain that comes back gets the newest lines, and is told how many it missed).
// Drops are counted, with the time of the first, together with lines the transport lost (a batch it
// gave up on, bytes a broken connection swallowed); `takeDrops` hands the count over once, for the L10
// notice that goes out in front of the next batch.
// Not thread-safe, and needs not be: owned by one drain on one event loop.
import { Ring } from '../ring.ts';
import type { LogLine } from '../types.ts';

export class DrainBuffer {
  private readonly ring: Ring<LogLine>;
  private dropped = 0;
  private droppedSince: Date | undefined;

  constructor(capacity: number) {
    this.ring = new Ring<LogLine>(capacity);
  }

  get length(): number {
    return this.ring.length;
  }

  /** Lines dropped or lost and not yet reported. */
  get pendingDrops(): number {
    return this.dropped;
  }

  push(line: LogLine): void {
    const overwritten = this.ring.push(line);
    if (overwritten) this.lost(1, overwritten.time);
  }

  /** Counts `n` lines that will never be delivered; `since` is when the oldest of them was logged. */
  lost(n: number, since: Date): void {
    if (n <= 0) return;
    if (this.dropped === 0 || (this.droppedSince && since < this.droppedSince)) this.droppedSince = since;
    this.dropped += n;
  }

  /** The drop count and its start, once; undefined when nothing was dropped since the last call. */
  takeDrops(): { dropped: number; since: Date } | undefined {
    if (this.dropped === 0) return undefined;
    const r = { dropped: this.dropped, since: this.droppedSince ?? new Date() };
    this.dropped = 0;
    this.droppedSince = undefined;
    return r;
  }

  /**
   * Removes and returns the oldest lines, rendered: at most `maxLines`, and stopping before the text
   * would pass `maxBytes` (UTF-16 units, close enough for a target size; one line always fits).
   * `ascii`: every line taken is known to be ASCII, so the text may be written as latin1.
   */
  take(maxLines: number, maxBytes: number, render: (line: LogLine) => string): { text: string; count: number; oldest?: Date; ascii: boolean } {
    let text = '';
    let count = 0;
    let oldest: Date | undefined;
    let ascii = true;
    while (count < maxLines && this.ring.length > 0) {
      const next = this.ring.at(0)!;
      const frame = render(next);
      if (count > 0 && text.length + frame.length > maxBytes) break;
      this.ring.shift();
      oldest ??= next.time;
      if (next.ascii !== true) ascii = false;
      text += frame;
      count++;
    }
    return { text, count, oldest, ascii };
  }

  clear(): void {
    this.ring.clear();
  }
}
