// Log sessions: the one-shot `logplex_url`s behind `heroku logs`. A session is created by the API,
// stored until it is used or expires, and then served once over HTTP: the recent matching lines,
// oldest first, and for a tail the live stream until the client leaves.
//
// Bounds: unused sessions live `ttlMs` (360 s, logplex's `session_expiry_s`) and at most
// `maxSessions` are stored (the oldest is dropped past that). A tail being served is no longer
// stored; it lasts as long as its connection and is ended by `close()`. Its backlog is bounded twice:
// up to `tailBufferBytes` (1 MiB) of rendered lines in the response (so a burst of a few thousand lines
// reaches a client that reads), then the subscriber queue (subscription.ts): a client that reads too
// slowly loses lines and gets L11, and ingestion never waits for it.
// Formats: `text/plain` lines ending in `\n`, or Server-Sent Events when the client's Accept asks for
// `text/event-stream` (what the current Heroku CLI reads), with a comment heartbeat so proxies keep
// an idle stream open.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { formatLine } from './format.ts';
import type { LogLine, LogReader, LogSession, LogSessionOptions } from './types.ts';
import { apiTime } from '../store/time.ts';

export interface LogSessionsOptions {
  ttlMs: number;
  maxSessions: number;
  /** History lines a session sends when it does not say. */
  defaultLines: number;
  /** Largest `lines` a session may ask for (the history bound). */
  maxLines: number;
  heartbeatMs: number;
  /** Bytes a tail's response may hold unsent before the tail counts as busy. */
  tailBufferBytes: number;
}

/** One SSE event per line. A stray `\r` would end an SSE line early, so it splits the data instead. */
export function sseEvent(id: number, text: string): string {
  return `id: ${id}\n${text
    .split('\r')
    .map((part) => `data: ${part}\n`)
    .join('')}\n`;
}

export function wantsEventStream(req: IncomingMessage): boolean {
  return /(^|,)\s*text\/event-stream\b/i.test(req.headers.accept ?? '');
}

export class LogSessions {
  private readonly reader: LogReader;
  private readonly opts: LogSessionsOptions;
  /** Insertion order = expiry order, because every session gets the same TTL. */
  private readonly stored = new Map<string, { session: LogSession; expiresAt: number }>();
  /** Ends each tail being served (its response, subscription and heartbeat). */
  private readonly open = new Set<() => void>();

  constructor(reader: LogReader, opts: LogSessionsOptions) {
    this.reader = reader;
    this.opts = opts;
  }

  create(appId: string, options: LogSessionOptions): LogSession {
    this.sweep();
    while (this.stored.size >= this.opts.maxSessions) {
      const oldest = this.stored.keys().next().value;
      if (oldest === undefined) break;
      this.stored.delete(oldest);
    }
    const requested = Math.floor(options.lines ?? this.opts.defaultLines);
    const lines = Number.isFinite(requested) ? Math.min(Math.max(requested, 0), this.opts.maxLines) : this.opts.defaultLines;
    const now = apiTime(new Date());
    const session: LogSession = {
      id: randomUUID(),
      appId,
      lines,
      tail: options.tail === true,
      filter: {
        ...(options.dyno ? { dyno: options.dyno } : {}),
        ...(options.source ? { source: options.source } : {}),
      },
      created_at: now,
      updated_at: now,
    };
    this.stored.set(session.id, { session, expiresAt: performance.now() + this.opts.ttlMs });
    return session;
  }

  forgetApp(appId: string): void {
    for (const [id, entry] of this.stored) if (entry.session.appId === appId) this.stored.delete(id);
  }

  handle(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    const session = this.take(sessionId);
    if (!session) {
      const body = 'Not found';
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return Promise.resolve();
    }
    const sse = wantsEventStream(req);
    res.writeHead(200, {
      'Content-Type': sse ? 'text/event-stream' : 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache',
      // Tell buffering proxies (nginx) to pass each line on at once.
      'X-Accel-Buffering': 'no',
    });
    let eventId = 0;
    const render = (line: LogLine): string => (sse ? sseEvent(++eventId, formatLine(line)) : `${formatLine(line)}\n`);

    const done = new Promise<void>((resolve) => res.once('close', resolve));
    // History and subscription are taken in the same tick, so no line falls between them.
    const history = this.reader.recent(session.appId, session.lines, session.filter).map(render).join('');
    if (!session.tail) {
      res.end(history);
      return done;
    }
    if (history) res.write(history);
    else res.flushHeaders();

    // Lines of one turn of the event loop go out in one write (one chunk, one syscall), as latin1
    // when every line is ASCII (the same bytes; V8 copies them instead of running its UTF-8 encoder).
    // The response may hold up to `tailBufferBytes` unsent before this subscriber counts as busy;
    // past that its bounded queue (drops with L11) takes over.
    let pending = '';
    let pendingAscii = true;
    const flush = (): void => {
      const text = pending;
      const encoding = pendingAscii ? 'latin1' : 'utf8';
      pending = '';
      pendingAscii = true;
      if (text && !res.writableEnded && !res.destroyed) res.write(text, encoding);
    };
    const unsubscribe = this.reader.subscribe(session.appId, session.filter, (line) => {
      if (res.writableEnded || res.destroyed) return;
      if (pending === '') process.nextTick(flush);
      pending += render(line);
      if (line.ascii !== true) pendingAscii = false;
      if (res.writableLength + pending.length < this.opts.tailBufferBytes) return;
      flush();
      // Still over the bound means the socket refused part of it, so it will say 'drain'.
      if (res.writableLength < this.opts.tailBufferBytes) return;
      return new Promise<void>((resolve) => {
        const settle = (): void => {
          res.off('drain', settle);
          res.off('close', settle);
          resolve();
        };
        res.on('drain', settle);
        res.on('close', settle);
      });
    });
    const heartbeat = sse
      ? setInterval(() => {
          if (!res.writableEnded) res.write(': heartbeat\n\n');
        }, this.opts.heartbeatMs)
      : undefined;
    const end = (): void => {
      unsubscribe();
      if (heartbeat) clearInterval(heartbeat);
      this.open.delete(end);
      if (!res.writableEnded) res.end();
    };
    this.open.add(end);
    res.once('close', end);
    return done;
  }

  close(): void {
    for (const end of [...this.open]) end();
    this.stored.clear();
  }

  /** Removes and returns a live session: sessions are one-shot. */
  private take(id: string): LogSession | undefined {
    const entry = this.stored.get(id);
    if (!entry) return undefined;
    this.stored.delete(id);
    return entry.expiresAt > performance.now() ? entry.session : undefined;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, entry] of this.stored) {
      if (entry.expiresAt > now) break;
      this.stored.delete(id);
    }
  }
}
