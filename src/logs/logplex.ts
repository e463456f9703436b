// Logplex: every component writes an app's log lines here (`emit`); `heroku logs` reads the history
// (`recent`) and tails follow it live (`subscribe`); log sessions serve both over HTTP.
//
// History: per app, the newest `historyLines` lines (default 1500, Heroku's), in memory. When full,
// the oldest line is dropped for each new one. Kept until `forget(appId)` (app destroyed) or restart;
// Heroku's one-week expiry does not apply to an in-memory buffer that a restart empties anyway.
// Ordering: every line gets a microsecond stamp that is strictly greater than the app's previous
// one, so lines from dynos, the router and the API interleave in the order they were emitted.
// Live subscribers (tails): each has its own bounded queue (`subscriberQueueLines`); a slow one loses
// lines (and later gets an L11 notice) instead of ever slowing `emit` or other subscribers. See
// subscription.ts for the exact policy. Followers (drains, drains/) get every line synchronously and
// keep their own bounded backlog (drains/buffer.ts).
// Rate: an app's own output (source `app`) spends a per-app budget (`appLinesPerSecond`, bursts of
// `appLinesBurst`); lines past it are dropped and counted, and an L10 notice (at most one a second) says
// how many before the next line kept, so a dyno printing without end cannot take the platform's time or other apps' logs.
// Cost: one clock reading and one ASCII check per emitted message (a dyno's output arrives as a
// block of many lines), and each line's timestamp text made once, in `emit`.
// Concurrency: single event loop; `emit` is synchronous and never awaits a reader.
// Several platform processes: each stored line is also handed to the `LogShare` set by `shareWith`
// (shared.ts publishes it to the other processes), and lines another process stored come in through
// `ingest`, so every process holds every app's whole stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMicroClock, type MicroClock } from './clock.ts';
import { formatTimestamp, isAscii, matchesFilter, splitMessage } from './format.ts';
import { Ring } from './ring.ts';
import { LogSessions } from './sessions.ts';
import { Subscription, type OnLine } from './subscription.ts';
import type { LogFilter, LogLine, LogReader, LogSession, LogSessionOptions, LogSink, LogSource } from './types.ts';

export interface LogplexOptions {
  /** Lines kept per app. Default 1500. */
  historyLines?: number;
  /** Longer lines are cut into pieces of this many bytes. Default 10000. */
  maxLineBytes?: number;
  /** Bound of each live subscriber's queue, in lines. Default 1000. */
  subscriberQueueLines?: number;
  /** History lines a log session sends when it does not say. Default 100 (`heroku logs`). */
  defaultSessionLines?: number;
  /** How long an unused log session stays valid. Default 360 s (logplex's `session_expiry_s`). */
  sessionTtlMs?: number;
  /** Most unused log sessions stored at once; past it the oldest is dropped. Default 10000. */
  maxSessions?: number;
  /** Interval of the comment heartbeat on Server-Sent-Events tails. Default 15 s. */
  sseHeartbeatMs?: number;
  /** Rendered bytes a tail's response may hold unsent before its queue takes over. Default 1 MiB. */
  tailBufferBytes?: number;
  /**
   * Lines a second an app's own output (source `app`) may add, on average, and how many may come at
   * once: past them lines are dropped and an L10 notice counts them. Defaults 1000 and 10000.
   */
  appLinesPerSecond?: number;
  appLinesBurst?: number;
  /** Microseconds since the epoch. Default: wall clock advanced by process.hrtime. */
  clock?: MicroClock;
  /** Where failures that have no caller to return to go (a subscriber that threw). Default: stderr. */
  reportError?: (err: unknown, context: string) => void;
}

export type ResolvedLogplexOptions = Required<LogplexOptions>;

/** Where a process's own lines go so the other platform processes store them too (shared.ts). */
export interface LogShare {
  line(appId: string, line: LogLine): void;
  forget(appId: string): void;
}

/** A line another platform process stored: its stamp in microseconds since the epoch. */
export interface ForeignLine {
  at: number;
  source: LogSource;
  dyno: string;
  message: string;
}

/** `123+00:00` for 0..999: the end of a timestamp after its milliseconds, made once. */
const MICROS_SUFFIX = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}+00:00`);

export function resolveLogplexOptions(options: LogplexOptions = {}): ResolvedLogplexOptions {
  return {
    historyLines: options.historyLines ?? 1500,
    maxLineBytes: options.maxLineBytes ?? 10_000,
    subscriberQueueLines: options.subscriberQueueLines ?? 1000,
    defaultSessionLines: options.defaultSessionLines ?? 100,
    sessionTtlMs: options.sessionTtlMs ?? 360_000,
    maxSessions: options.maxSessions ?? 10_000,
    sseHeartbeatMs: options.sseHeartbeatMs ?? 15_000,
    tailBufferBytes: options.tailBufferBytes ?? 1024 * 1024,
    appLinesPerSecond: options.appLinesPerSecond ?? 1000,
    appLinesBurst: options.appLinesBurst ?? 10_000,
    clock: options.clock ?? createMicroClock(),
    reportError:
      options.reportError ??
      ((err, context) => {
        process.stderr.write(`logplex: ${context}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }),
  };
}

interface AppLog {
  history: Ring<LogLine>;
  /** Microseconds since the epoch of the app's newest stamp (a safe integer: 2^53 µs is year 2255). */
  lastStamp: number;
  subscribers: Set<Subscription>;
  /** Synchronous listeners with their own bounded buffers (drains). */
  followers: Set<(line: LogLine) => void>;
  /** The app's output budget (lines), refilled at `appLinesPerSecond` up to `appLinesBurst`, as of `budgetAt` (µs). */
  budget: number;
  budgetAt: number;
  /** App lines dropped over budget since `droppedSince` (µs), not yet told. */
  dropped: number;
  droppedSince: number;
  /** When the last L10 notice was given (µs): at most one a second, the count carried meanwhile. */
  noticeAt: number;
}

export class Logplex implements LogSink, LogReader {
  readonly options: ResolvedLogplexOptions;
  private readonly apps = new Map<string, AppLog>();
  private readonly sessions: LogSessions;
  /** Lines stored and handed on, and app lines dropped over their budget, since start (the platform's metrics). */
  readonly counts = { lines: 0, dropped: 0 };
  private share: LogShare | undefined;

  constructor(options: LogplexOptions = {}) {
    this.options = resolveLogplexOptions(options);
    this.sessions = new LogSessions(this, {
      ttlMs: this.options.sessionTtlMs,
      maxSessions: this.options.maxSessions,
      defaultLines: this.options.defaultSessionLines,
      maxLines: this.options.historyLines,
      heartbeatMs: this.options.sseHeartbeatMs,
      tailBufferBytes: this.options.tailBufferBytes,
    });
  }

  /** Splits `message` into lines, stamps, stores and fans them out. Synchronous; never throws for a reader. */
  emit(appId: string, source: LogSource, dyno: string, message: string): void {
    const app = this.app(appId);
    // One clock reading per message; its lines get consecutive microseconds, so they keep their order.
    let now = Number(this.options.clock());
    if (now <= app.lastStamp) now = app.lastStamp + 1;
    let time: Date | undefined;
    let timeMs = -1;
    let prefix = '';
    const ascii = isAscii(message) && isAscii(dyno);
    for (const text of splitMessage(message, this.options.maxLineBytes)) {
      // The platform's own `app[api]` lines (releases, scaling) are not the app's output.
      if (source === 'app' && dyno !== 'api') {
        if (!this.withinBudget(app, now)) continue;
        if (app.dropped > 0 && now - app.noticeAt >= 1_000_000) {
          app.noticeAt = now;
          // Told as Logplex does when it had to drop an app's lines, just before the next line it keeps.
          const since = formatTimestamp(new Date(Math.floor(app.droppedSince / 1000)), 0).replace(/\.\d+/, '');
          const notice = `Error L10 (output buffer overflow): ${app.dropped} messages dropped since ${since}.`;
          app.dropped = 0;
          this.emit(appId, 'heroku', 'logplex', notice);
          now = Math.max(now, app.lastStamp + 1);
        }
      }
      const ms = Math.floor(now / 1000);
      if (ms !== timeMs) {
        time = new Date(ms);
        timeMs = ms;
        prefix = formatTimestamp(time, 0).slice(0, 23);
      }
      const micros = now - ms * 1000;
      const line: LogLine = { time: time!, micros, source, dyno, message: text, stampText: prefix + MICROS_SUFFIX[micros], ascii };
      app.lastStamp = now++;
      this.deliver(app, line);
      this.share?.line(appId, line);
    }
  }

  /** Hands every line this process stores from now on to `share` (and forgotten apps), not lines `ingest`ed. */
  shareWith(share: LogShare): void {
    this.share = share;
  }

  /**
   * Stores a line another platform process stored (already split and within its app's budget there)
   * and hands it to this process's tails and drains. It keeps its stamp unless that is not after the
   * app's newest here (the two machines' clocks, or a line in flight while this process emitted one):
   * then it is stamped just after it, so the stream's order stays the order lines were stored here.
   */
  ingest(appId: string, foreign: ForeignLine): void {
    const app = this.app(appId);
    const now = foreign.at > app.lastStamp ? foreign.at : app.lastStamp + 1;
    app.lastStamp = now;
    const ms = Math.floor(now / 1000);
    const time = new Date(ms);
    const micros = now - ms * 1000;
    const stampText = formatTimestamp(time, 0).slice(0, 23) + MICROS_SUFFIX[micros];
    this.deliver(app, { time, micros, source: foreign.source, dyno: foreign.dyno, message: foreign.message, stampText, ascii: isAscii(foreign.message) && isAscii(foreign.dyno) });
  }

  /** An app another process forgot (destroyed): its history goes here too. */
  forgetHere(appId: string): void {
    const app = this.apps.get(appId);
    if (app) {
      app.history.clear();
      this.dropIfUnused(appId, app);
    }
    this.sessions.forgetApp(appId);
  }

  /** Takes one line from the app's output budget; false (the line is dropped and counted) when none is left. */
  private withinBudget(app: AppLog, now: number): boolean {
    const { appLinesPerSecond: rate, appLinesBurst: burst } = this.options;
    if (now > app.budgetAt) {
      app.budget = Math.min(burst, app.budget + ((now - app.budgetAt) * rate) / 1e6);
      app.budgetAt = now;
    }
    if (app.budget >= 1) {
      app.budget -= 1;
      return true;
    }
    if (app.dropped === 0) app.droppedSince = now;
    app.dropped++;
    this.counts.dropped++;
    return false;
  }

  /** Stores a stamped line and hands it to the app's tails and drains. */
  private deliver(app: AppLog, line: LogLine): void {
    this.counts.lines++;
    app.history.push(line);
    for (const sub of app.subscribers) {
      if (matchesFilter(line, sub.filter)) sub.offer(line);
    }
    for (const follower of app.followers) {
      try {
        follower(line);
      } catch (err) {
        this.options.reportError(err, 'log follower failed on a line');
      }
    }
  }

  /**
   * Hands every new line of the app to `onLine`, synchronously, inside `emit`: for drains, which keep
   * their own bounded backlog. `onLine` must not block or do I/O itself. Returns the unfollow function.
   */
  follow(appId: string, onLine: (line: LogLine) => void): () => void {
    const app = this.app(appId);
    app.followers.add(onLine);
    return () => {
      const current = this.apps.get(appId);
      if (!current) return;
      current.followers.delete(onLine);
      this.dropIfUnused(appId, current);
    };
  }

  /** The newest `n` lines of the app's history that match `filter`, oldest first. */
  recent(appId: string, n: number, filter?: LogFilter): LogLine[] {
    const app = this.apps.get(appId);
    if (!app || n <= 0) return [];
    return app.history.newest(n, (line) => matchesFilter(line, filter));
  }

  /**
   * Follows the app's new lines that match `filter` (history is not replayed: call `recent` first, in
   * the same tick, for a gap-free stream). Returns the unsubscribe function; calling it twice is fine.
   */
  subscribe(appId: string, filter: LogFilter, onLine: OnLine): () => void {
    const app = this.app(appId);
    const unsubscribe = (): void => {
      sub.close();
      const current = this.apps.get(appId);
      if (!current) return;
      current.subscribers.delete(sub);
      this.dropIfUnused(appId, current);
    };
    const sub: Subscription = new Subscription({
      filter,
      onLine,
      capacity: this.options.subscriberQueueLines,
      notice: (message) => ({ ...this.stamp(this.app(appId)), source: 'heroku', dyno: 'logplex', message }),
      reportError: this.options.reportError,
      onEnd: unsubscribe,
    });
    app.subscribers.add(sub);
    return unsubscribe;
  }

  /** Live subscribers of the app (tails being served), for metrics and tests. */
  subscriberCount(appId: string): number {
    return this.apps.get(appId)?.subscribers.size ?? 0;
  }

  /**
   * The app was destroyed: drop its history and its unused log sessions. Live tails stay connected
   * until their clients leave (they simply get no more lines).
   */
  forget(appId: string): void {
    this.forgetHere(appId);
    this.share?.forget(appId);
  }

  /** Stores a one-shot log session; the API answers `POST /apps/{app}/log-sessions` with it. */
  createSession(appId: string, options: LogSessionOptions = {}): LogSession {
    return this.sessions.create(appId, options);
  }

  /**
   * Serves `GET /sessions/<id>` (the `logplex_url`): 404 `Not found` for an unknown or expired
   * session, else the history and, for a tail, the live stream. Resolves when the response is over.
   */
  handleSessionRequest(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    return this.sessions.handle(req, res, sessionId);
  }

  /** Ends every open tail response and its heartbeat timer; stored history stays readable. Idempotent. */
  close(): void {
    this.sessions.close();
  }

  private app(appId: string): AppLog {
    let app = this.apps.get(appId);
    if (!app) {
      app = { history: new Ring<LogLine>(this.options.historyLines), lastStamp: 0, subscribers: new Set(), followers: new Set(), budget: this.options.appLinesBurst, budgetAt: 0, dropped: 0, droppedSince: 0, noticeAt: 0 };
      this.apps.set(appId, app);
    }
    return app;
  }

  private dropIfUnused(appId: string, app: AppLog): void {
    if (app.subscribers.size === 0 && app.followers.size === 0 && app.history.length === 0) this.apps.delete(appId);
  }

  private stamp(app: AppLog): Pick<LogLine, 'time' | 'micros'> {
    let now = Number(this.options.clock());
    if (now <= app.lastStamp) now = app.lastStamp + 1;
    app.lastStamp = now;
    const ms = Math.floor(now / 1000);
    return { time: new Date(ms), micros: now - ms * 1000 };
  }
}
