// One live subscriber of an app's log stream (a tail session, later a drain), with the bounded queue
// that keeps a slow subscriber from ever holding up `Logplex.emit`.
//
// Delivery: lines reach `onLine` in emit order. While the subscriber is idle a line is handed over at
// once, inside `emit`. If `onLine` returns a promise the subscriber is busy until it settles, and
// lines emitted meanwhile wait in its queue.
// Bound and policy: the queue holds at most `capacity` lines (plus one slot kept for the notice
// below). When it is full, new lines are dropped (never the queued, older ones: the reader sees a
// gap, then the stream resumes) and counted; once there is room again the subscriber first gets
// Heroku's L11 notice with the count and the time of the first drop, then the newer lines.
// Failure: if `onLine` throws or its promise rejects, the error goes to `reportError` and the
// subscription ends (it is removed through `onEnd`); other subscribers and `emit` are unaffected.
import { formatWholeSeconds } from './format.ts';
import { Ring } from './ring.ts';
import type { LogFilter, LogLine } from './types.ts';

export type OnLine = (line: LogLine) => void | Promise<void>;

export interface SubscriptionOptions {
  filter: LogFilter;
  onLine: OnLine;
  /** Queue bound, in lines. */
  capacity: number;
  /** Stamps a platform notice for this subscriber's app (the L11 line). */
  notice: (message: string) => LogLine;
  reportError: (err: unknown, context: string) => void;
  /** Called once when the subscription ends by itself (failure); not called by `close()`. */
  onEnd: () => void;
}

/** Heroku's L11 text, as logplex's source writes it. */
export function tailOverflowMessage(dropped: number, since: Date): string {
  return `Error L11 (Tail buffer overflow) -> This tail session dropped ${dropped} messages since ${formatWholeSeconds(since)}.`;
}

export class Subscription {
  readonly filter: LogFilter;
  private readonly queue: Ring<LogLine>;
  private readonly opts: SubscriptionOptions;
  private busy = false;
  private closed = false;
  private dropped = 0;
  private droppedSince: Date | undefined;

  constructor(opts: SubscriptionOptions) {
    this.opts = opts;
    this.filter = opts.filter;
    this.queue = new Ring<LogLine>(opts.capacity + 1);
  }

  /** Lines dropped since the last L11 notice went out (for tests and metrics). */
  get pendingDrops(): number {
    return this.dropped;
  }

  /** Called by `emit` for every line that matches the filter. Never blocks, never throws. */
  offer(line: LogLine): void {
    if (this.closed) return;
    if (!this.busy && this.queue.length === 0 && this.dropped === 0) {
      this.deliver(line);
      this.pump(); // lines emitted from inside onLine were queued behind this one
      return;
    }
    if (this.queue.length >= this.opts.capacity) {
      if (this.dropped === 0) this.droppedSince = line.time;
      this.dropped++;
      return;
    }
    if (this.dropped > 0) this.queue.push(this.takeNotice());
    this.queue.push(line);
    if (!this.busy) this.pump();
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
  }

  private takeNotice(): LogLine {
    const notice = this.opts.notice(tailOverflowMessage(this.dropped, this.droppedSince ?? new Date()));
    this.dropped = 0;
    this.droppedSince = undefined;
    return notice;
  }

  /** Hands queued lines over until the queue is empty or the subscriber becomes busy. */
  private pump(): void {
    while (!this.closed && !this.busy) {
      const next = this.queue.shift() ?? (this.dropped > 0 ? this.takeNotice() : undefined);
      if (!next) return;
      this.deliver(next);
    }
  }

  private deliver(line: LogLine): void {
    // `busy` is set while onLine runs so that a line emitted from inside onLine is queued behind
    // this one instead of overtaking it.
    this.busy = true;
    let result: void | Promise<void>;
    try {
      result = this.opts.onLine(line);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => {
          this.busy = false;
          this.pump();
        },
        (err: unknown) => this.fail(err),
      );
      return;
    }
    this.busy = false;
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.opts.reportError(err, 'log subscriber failed; its subscription ended');
    this.close();
    this.opts.onEnd();
  }
}
