// Turns one output stream of a dyno (its stdout, or its stderr) into whole log lines. A stream arrives
// in chunks that cut lines anywhere; a line is handed on only once it is complete, so lines of two
// dynos (or two streams) never interleave mid-line. A line longer than `maxBytes` (Heroku's 10000) is
// handed on in `maxBytes` pieces as it grows, so a process that never prints a newline still has its
// output logged and the pending text stays under `maxBytes`.
// Bound: the pending partial line holds fewer than `maxBytes` bytes (plus the newest chunk, briefly).
import { splitMessage } from './format.ts';

export class LineAssembler {
  private pending = '';

  /** `out` gets text of one or more complete lines, joined by `\n` (no trailing newline). */
  constructor(private readonly maxBytes: number, private readonly out: (text: string) => void) {}

  write(chunk: string): void {
    if (chunk === '') return;
    const cut = chunk.lastIndexOf('\n');
    if (cut === -1) {
      this.pending += chunk;
    } else {
      this.out(this.pending + chunk.slice(0, cut));
      this.pending = chunk.slice(cut + 1);
    }
    // Fast path: under maxBytes for sure when every UTF-16 unit is at most 3 bytes.
    if (this.pending.length * 3 < this.maxBytes || Buffer.byteLength(this.pending, 'utf8') < this.maxBytes) return;
    const pieces = splitMessage(this.pending, this.maxBytes);
    const last = pieces.pop()!;
    const lastFull = Buffer.byteLength(last, 'utf8') >= this.maxBytes;
    for (const piece of pieces) this.out(piece);
    if (lastFull) this.out(last);
    this.pending = lastFull ? '' : last;
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    if (this.pending !== '') this.out(this.pending);
    this.pending = '';
  }
}
