// One log stream per app across several platform processes (SLIPWAY_DATABASE_URL): each process
// publishes the lines it stores (its router's, its API's, and the leader's dynos') to the others on the
// PostgreSQL channel `slipway_logs`, and stores theirs (`Logplex.ingest`). So every process holds every
// app's newest lines, `logs` and `logs --tail` answer the same through either, and a process that takes
// over as leader already has the history. Drains run in the leader alone (platform/server.ts), which
// sees every line this way: each line is delivered once.
//
// Transport: NOTIFY payloads (PostgreSQL refuses ones past 8,000 bytes) of at most `PAYLOAD_BYTES`,
// each a JSON batch of the lines stored in one event-loop turn; a line too long for one is sent in
// pieces the receiver joins. One connection of its own listens and sends, so a process's lines arrive in
// the order it stored them (notices of one session are delivered in commit order).
// Bounds: at most `MAX_IN_FLIGHT` payloads sent and not yet acknowledged; lines stored meanwhile wait,
// at most `MAX_WAITING` of them, past which new ones are not shared (counted and reported once an
// episode). While the connection is down (retried every second) lines are not shared either: a process
// that was cut off misses the others' lines of that time, as a tail misses lines while reconnecting.
// Concurrency: single event loop; `Logplex.emit` calls `line` synchronously, which only queues.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresConfig } from '../store/postgres.ts';
import type { ForeignLine, Logplex, LogShare } from './logplex.ts';
import type { LogLine, LogSource } from './types.ts';

const CHANNEL = 'slipway_logs';
/** A payload's bytes, under PostgreSQL's 8,000 with room for the batch's envelope. */
export const PAYLOAD_BYTES = 7600;
/** Characters of a piece of a long line: at most 6 bytes each in JSON (`\u001b`), so a piece fits a payload. */
const PIECE_CHARS = 1000;
const MAX_IN_FLIGHT = 64;
const MAX_WAITING = 20_000;
/** Bytes of pieces a receiver holds for one sender's unfinished line (a line is at most 10,000 bytes). */
const MAX_PIECES_BYTES = 64 * 1024;

/** A batch entry: a whole line, a piece of one with more to come, or an app forgotten. */
export type Entry =
  | ['l', string, number, LogSource, string, string]
  | ['m', string, number, LogSource, string, string]
  | ['f', string];

/** The entries of one line or forget, before packing: a long line's pieces, each but the last marked `m`. */
export function entriesOf(appId: string, line: LogLine): Entry[] {
  const at = line.time.getTime() * 1000 + line.micros;
  const { message } = line;
  if (message.length <= PIECE_CHARS) return [['l', appId, at, line.source, line.dyno, message]];
  const out: Entry[] = [];
  for (let i = 0; i < message.length; i += PIECE_CHARS) {
    const last = i + PIECE_CHARS >= message.length;
    out.push([last ? 'l' : 'm', appId, at, line.source, line.dyno, message.slice(i, i + PIECE_CHARS)]);
  }
  return out;
}

/** Packs entries, in order, into payloads of at most `PAYLOAD_BYTES` bytes. */
export function pack(sender: string, entries: Entry[], firstSeq: number): string[] {
  const head = (seq: number) => `{"p":${JSON.stringify(sender)},"s":${seq},"e":[`;
  const out: string[] = [];
  let seq = firstSeq;
  let body: string[] = [];
  let bytes = 0;
  for (const e of entries) {
    const text = JSON.stringify(e);
    const size = Buffer.byteLength(text) + 1;
    if (body.length > 0 && Buffer.byteLength(head(seq)) + bytes + size + 2 > PAYLOAD_BYTES) {
      out.push(`${head(seq++)}${body.join(',')}]}`);
      body = [];
      bytes = 0;
    }
    body.push(text);
    bytes += size;
  }
  if (body.length > 0) out.push(`${head(seq)}${body.join(',')}]}`);
  return out;
}

const SOURCES = new Set(['app', 'heroku']);
const isEntry = (e: unknown): e is Entry => {
  if (!Array.isArray(e) || typeof e[1] !== 'string' || e[1].length > 100) return false;
  if (e[0] === 'f') return e.length === 2;
  return (e[0] === 'l' || e[0] === 'm') && e.length === 6 && Number.isSafeInteger(e[2]) && e[2] > 0
    && SOURCES.has(e[3]) && typeof e[4] === 'string' && e[4].length <= 100 && typeof e[5] === 'string';
};

/** Turns received payloads back into lines, joining pieces; what is not a well-formed batch is skipped. */
export class Unpacker {
  private readonly pieces = new Map<string, { text: string; bytes: number }>();

  constructor(private readonly self: string, private readonly out: { line(appId: string, l: ForeignLine): void; forget(appId: string): void }) {}

  take(payload: string): void {
    let batch: { p?: unknown; e?: unknown };
    try {
      batch = JSON.parse(payload);
    } catch {
      return;
    }
    const sender = batch?.p;
    if (typeof sender !== 'string' || sender === this.self || !Array.isArray(batch.e)) return;
    for (const e of batch.e) {
      if (!isEntry(e)) continue;
      if (e[0] === 'f') {
        this.out.forget(e[1]);
        continue;
      }
      const [kind, appId, at, source, dyno, text] = e;
      const key = `${sender} ${appId}`;
      const held = this.pieces.get(key);
      const joined = held ? held.text + text : text;
      if (kind === 'm') {
        const bytes = (held?.bytes ?? 0) + text.length;
        if (bytes > MAX_PIECES_BYTES) this.pieces.delete(key);
        else this.pieces.set(key, { text: joined, bytes });
        continue;
      }
      this.pieces.delete(key);
      this.out.line(appId, { at, source, dyno, message: joined });
    }
  }
}

export interface SharedLogsOptions {
  url: string;
  logs: Logplex;
  reportError: (err: unknown, context: string) => void;
  retryMs?: number;
}

/** Shares one process's Logplex with the other platform processes on the same database. */
export class SharedLogs implements LogShare {
  private readonly id = randomUUID();
  private readonly unpacker: Unpacker;
  private client: pg.Client | undefined;
  private waiting: Entry[] = [];
  private inFlight = 0;
  private seq = 0;
  private flushing = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private notShared = 0;

  constructor(private readonly o: SharedLogsOptions) {
    this.unpacker = new Unpacker(this.id, { line: (appId, l) => o.logs.ingest(appId, l), forget: (appId) => o.logs.forgetHere(appId) });
  }

  /** Connects and listens (a failure is retried in the background), then shares this process's lines. */
  async start(): Promise<void> {
    this.o.logs.shareWith(this);
    await this.connect();
  }

  line(appId: string, line: LogLine): void {
    this.queue(entriesOf(appId, line));
  }

  forget(appId: string): void {
    this.queue([['f', appId]]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private queue(entries: Entry[]): void {
    if (!this.client || this.waiting.length >= MAX_WAITING) {
      if (this.notShared++ === 0) this.o.reportError(new Error(this.client ? `more than ${MAX_WAITING} log lines waiting` : 'no connection'), 'log lines are not shared with the other platform processes');
      return;
    }
    for (const e of entries) this.waiting.push(e);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushing = false;
    const c = this.client;
    if (!c || this.waiting.length === 0 || this.inFlight >= MAX_IN_FLIGHT) return;
    if (this.notShared > 0) {
      this.o.reportError(new Error(`${this.notShared} line(s) were not shared`), 'log lines are shared with the other platform processes again');
      this.notShared = 0;
    }
    const entries = this.waiting;
    this.waiting = [];
    const payloads = pack(this.id, entries, this.seq);
    this.seq += payloads.length;
    for (const payload of payloads) {
      this.inFlight++;
      c.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch((err) => this.o.reportError(err, 'sharing log lines failed')).finally(() => {
        this.inFlight--;
        if (this.waiting.length > 0 && !this.flushing) {
          this.flushing = true;
          setImmediate(() => this.flush());
        }
      });
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const c = new pg.Client(postgresConfig(this.o.url));
    const lost = (err: Error) => {
      if (this.client !== c) return;
      this.client = undefined;
      this.waiting = [];
      this.inFlight = 0;
      void c.end().catch(() => undefined);
      if (this.closed) return;
      this.o.reportError(err, 'the connection that shares log lines was lost; connecting again');
      this.timer = setTimeout(() => void this.connect(), this.o.retryMs ?? 1000);
    };
    c.on('error', lost);
    c.on('end', () => lost(new Error('the connection to PostgreSQL ended')));
    c.on('notification', (m) => { if (m.channel === CHANNEL && m.payload) this.unpacker.take(m.payload); });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (this.closed) {
        await c.end();
        return;
      }
      this.client = c;
    } catch (err) {
      void c.end().catch(() => undefined);
      if (this.closed) return;
      this.o.reportError(err, 'could not connect to share log lines; trying again');
      this.timer = setTimeout(() => void this.connect(), this.o.retryMs ?? 1000);
    }
  }
}
