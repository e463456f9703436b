// What every drain shares, whatever its transport: the bounded backlog (buffer.ts), the pump that hands
// batches to the transport, and the back-off between failed attempts.
//
// Concurrency: one event loop. `accept` is called inside `Logplex.emit` and only pushes into the
// backlog and schedules the pump (setImmediate), so a drain that is down, slow or stuck never slows
// ingestion, tails or other drains.
// Back-off: after a failure the next attempt waits `minBackoffMs` (500 ms), doubling up to
// `maxBackoffMs` (30 s); a success resets it. Lines keep arriving meanwhile and the backlog bound
// decides what is kept (the newest) and what is reported dropped (L10).
import { isIP } from 'node:net';
import { egressFromEnv, guardedLookup, refusal, type EgressPolicy } from '../../egress/index.ts';
import { DrainBuffer } from './buffer.ts';
import { redactDrainUrl, type DrainTarget } from './url.ts';
import type { LogLine } from '../types.ts';

export interface DrainOptions {
  id: string;
  /** `d.<uuid>` */
  token: string;
  /** The URL as the user gave it (messages redact its password). */
  url: string;
  target: DrainTarget;
  /** Backlog bound in lines. Default 1024 (logplex's). */
  bufferLines?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Writes a logplex notice (L14) into the app's own stream. */
  notice: (message: string) => void;
  reportError: (err: unknown, context: string) => void;
  /** Which addresses the drain may connect to (egress/); default: the operator's setting. */
  egress?: EgressPolicy;
}

export abstract class Drain {
  readonly id: string;
  readonly token: string;
  readonly url: string;
  protected readonly opts: DrainOptions;
  protected readonly buffer: DrainBuffer;
  protected readonly capacity: number;
  protected closed = false;
  /** Lines the transport has confirmed (HTTP 2xx) or handed to the kernel (syslog). */
  delivered = 0;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoff: number;
  private refusalNoticed = false;
  /** What the transport's sockets resolve the host with: internal addresses are refused (egress/). */
  protected readonly lookup: ReturnType<typeof guardedLookup>;
  private readonly egress: EgressPolicy;

  constructor(opts: DrainOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.token = opts.token;
    this.url = opts.url;
    this.capacity = opts.bufferLines ?? 1024;
    this.buffer = new DrainBuffer(this.capacity);
    this.backoff = opts.minBackoffMs ?? 500;
    this.egress = opts.egress ?? egressFromEnv();
    this.lookup = guardedLookup(this.egress);
  }

  /**
   * Whether a connection to `host` must not be tried: a literal internal address (names are checked by
   * `lookup`). Either way the app's stream is told once why its drain gets nothing.
   */
  protected refused(host: string, err?: NodeJS.ErrnoException): boolean {
    const why = err?.code === 'EGRESS_REFUSED' ? err.message : isIP(host) ? refusal(host, this.egress) : undefined;
    if (why && !this.refusalNoticed) {
      this.refusalNoticed = true;
      this.opts.notice(`Drain not delivered: ${why} uri="${redactDrainUrl(this.url)}"`);
    }
    return why !== undefined;
  }

  /** Takes one line of the app's stream. Never blocks, never throws. */
  accept(line: LogLine): void {
    if (this.closed) return;
    this.buffer.push(line);
    if (this.buffer.length >= this.capacity / 2 && this.canTakeNow()) this.pump();
    else this.kick();
  }

  /**
   * Whether the transport can take lines inside `emit` without waiting (a connected socket with room):
   * a burst bigger than the backlog then goes straight out instead of overflowing it.
   */
  protected canTakeNow(): boolean {
    return false;
  }

  /** Lines waiting in the backlog. */
  get backlog(): number {
    return this.buffer.length;
  }

  /**
   * Stops the drain. With `flushMs`, first gives the backlog that long to go out (a platform that
   * stops still forwards its dynos' last lines). Idempotent.
   */
  async close(flushMs = 0): Promise<void> {
    const until = Date.now() + flushMs;
    while (!this.closed && Date.now() < until && !this.idle()) await new Promise((r) => setTimeout(r, 20));
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.buffer.clear();
    this.shutdown();
  }

  /** Schedules one pump on the next turn of the event loop, unless one is pending or a retry waits. */
  protected kick(): void {
    if (this.scheduled || this.closed || this.retryTimer) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed) return;
      try {
        this.pump();
      } catch (err) {
        this.opts.reportError(err, `drain ${this.id}: pump failed`);
      }
    });
  }

  /** The last attempt failed: try again after the back-off. */
  protected retryLater(): void {
    if (this.closed || this.retryTimer) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 30_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, wait);
    this.retryTimer.unref?.();
  }

  /** A retry is waiting for its back-off to pass. */
  protected get backingOff(): boolean {
    return this.retryTimer !== undefined;
  }

  protected succeeded(): void {
    this.backoff = this.opts.minBackoffMs ?? 500;
  }

  /** Sends what it can of the backlog. Called on the event loop, never inside `emit`. */
  protected abstract pump(): void;
  /** Nothing buffered and nothing in flight. */
  protected abstract idle(): boolean;
  /** Releases sockets and timers of the transport. */
  protected abstract shutdown(): void;
}
