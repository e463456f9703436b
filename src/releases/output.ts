// Output streams of builds and release phases: written once as they happen, kept in a file per stream
// (`<dir>/<id>.log`) so `releases:output` and a build's output_stream_url can replay them later, and
// followed live by any number of readers. Bound: a stream keeps its first MAX_BYTES; what follows is
// dropped and a note says so (Heroku caps build and release output too). Readers are plain callbacks:
// a slow HTTP reader buffers in its own socket, never in the writer.
//
// A stream's URL (`/streams/<kind>/<id>?secret=...`) is a capability: the official CLI fetches it with
// no key, so the URL alone grants the read. Each stream has a key of its own, 192 random bits kept in the
// store (so it outlives a restart); the URL's secret is an HMAC of the id under that key (256 bits),
// compared in constant time. A URL handed out while the output runs, or within `ttlMs` after it ended,
// is good until `ttlMs` after the end. One handed out later (an authenticated `builds:output` of an old
// build) carries `expires=<now + ttl>`, covered by its secret, so old output stays readable by those the
// API lets ask while no URL lives on unbounded.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentLogger, type Logger } from '../logger/index.ts';
import type { Db } from '../store/index.ts';

export const MAX_BYTES = 10 * 1024 * 1024;

/** How long a stream URL works after its output ended, unless the operator says otherwise (SLIPWAY_STREAM_TTL). */
export const STREAM_TTL_MS = 3600_000;

export interface OutputStoreOptions {
  /** `builds` or `releases`: the stream URL's path segment. */
  kind: string;
  /** Where stream secrets are kept; without one they live in memory only (tests). */
  db?: Db;
  ttlMs?: number;
  logger?: Logger;
}

/** Whether a stream URL's secret lets its holder read the stream. */
export type StreamAccess = 'ok' | 'denied' | 'expired';

const mac = (key: string, claim: string) => createHmac('sha256', key).update(claim).digest('base64url');

interface Secret { secret: string; endedAt: number | null }

interface Live {
  bytes: number;
  truncated: boolean;
  /** What was written so far (at most MAX_BYTES), replayed to readers that join late. */
  chunks: string[];
  /** Appends are chained so the file keeps the order of the writes. */
  writing: Promise<void>;
  readers: Set<(chunk: string | null) => void>;
}

export class OutputStore {
  private readonly live = new Map<string, Live>();
  private readonly secrets = new Map<string, Secret>();
  private readonly o: Required<Omit<OutputStoreOptions, 'db' | 'logger'>> & { db?: Db };

  private readonly logger: Logger;

  constructor(private readonly dir: string, opts: OutputStoreOptions = { kind: 'builds' }) {
    const { logger, ...rest } = opts;
    this.o = { ttlMs: STREAM_TTL_MS, ...rest };
    this.logger = componentLogger(logger, 'releases');
  }

  private file(id: string): string {
    return join(this.dir, `${id}.log`);
  }

  /** Starts a stream (empty), with a new secret for its URL. */
  async open(id: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(id), '');
    const secret = randomBytes(24).toString('base64url');
    await this.o.db?.insertInto('output_streams').values({ id, secret, ended_at: null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ secret, ended_at: null })).execute();
    this.secrets.set(id, { secret, endedAt: null });
    this.live.set(id, { bytes: 0, truncated: false, chunks: [], writing: Promise.resolve(), readers: new Set() });
  }

  write(id: string, text: string): void {
    const s = this.live.get(id);
    if (!s || s.truncated || !text) return;
    let chunk = text;
    if (s.bytes + Buffer.byteLength(chunk) > MAX_BYTES) {
      chunk = `${Buffer.from(chunk).subarray(0, Math.max(0, MAX_BYTES - s.bytes)).toString('utf8')}\n !     Output truncated at ${MAX_BYTES / 1024 / 1024} MB.\n`;
      s.truncated = true;
    }
    s.bytes += Buffer.byteLength(chunk);
    s.chunks.push(chunk);
    s.writing = s.writing.then(() => appendFile(this.file(id), chunk)).catch((err) => this.logger.error({ err, output: id }, 'writing output failed'));
    for (const r of s.readers) r(chunk);
  }

  /** Ends a stream: readers get the end, later readers get the file. */
  async close(id: string): Promise<void> {
    const s = this.live.get(id);
    if (!s) return;
    await s.writing;
    this.live.delete(id);
    for (const r of s.readers) r(null);
    const endedAt = Date.now();
    const known = this.secrets.get(id);
    if (known) known.endedAt = endedAt;
    await this.o.db?.updateTable('output_streams').set({ ended_at: new Date(endedAt).toISOString() }).where('id', '=', id).execute()
      .catch((err) => this.logger.error({ err, output: id }, 'recording the end of an output failed'));
  }

  /** The stream's capability URL under `base` (the platform's public URL), or null when there is no stream. */
  async url(base: string, id: string): Promise<string | null> {
    if (!this.has(id)) return null;
    const s = await this.secretOf(id);
    if (!s) return null;
    const path = `${base}/streams/${this.o.kind}/${id}`;
    const ended = this.live.has(id) ? null : await this.endOf(id, s);
    if (ended === null || Date.now() < ended + this.o.ttlMs) return `${path}?secret=${mac(s.secret, id)}`;
    const expires = Math.ceil((Date.now() + this.o.ttlMs) / 1000);
    return `${path}?expires=${expires}&secret=${mac(s.secret, `${id}:${expires}`)}`;
  }

  /** Checks a presented secret (constant time) and the URL's expiry; `expires` as the URL carries it. */
  async access(id: string, presented: string, expires?: string): Promise<StreamAccess> {
    const s = await this.secretOf(id);
    if (!s || !this.has(id)) return 'denied';
    const want = Buffer.from(mac(s.secret, expires === undefined ? id : `${id}:${expires}`));
    const got = Buffer.from(presented);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'denied';
    if (expires !== undefined) return Date.now() < Number(expires) * 1000 ? 'ok' : 'expired';
    if (this.live.has(id)) return 'ok';
    return Date.now() < (await this.endOf(id, s)) + this.o.ttlMs ? 'ok' : 'expired';
  }

  /** When the output ended; one cut off by a platform crash never recorded it: its file's last write is the end. */
  private async endOf(id: string, s: Secret): Promise<number> {
    return s.endedAt ?? (await stat(this.file(id)).then((st) => st.mtimeMs, () => 0));
  }

  private async secretOf(id: string): Promise<Secret | undefined> {
    const known = this.secrets.get(id);
    if (known || !this.o.db) return known;
    const row = await this.o.db.selectFrom('output_streams').select(['secret', 'ended_at']).where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const s = { secret: row.secret, endedAt: row.ended_at ? Date.parse(row.ended_at) : null };
    this.secrets.set(id, s);
    return s;
  }

  has(id: string): boolean {
    return this.live.has(id) || existsSync(this.file(id));
  }

  isLive(id: string): boolean {
    return this.live.has(id);
  }

  async read(id: string): Promise<string | undefined> {
    if (!this.has(id)) return undefined;
    const s = this.live.get(id);
    if (s) await s.writing;
    return readFile(this.file(id), 'utf8').catch(() => undefined);
  }

  /**
   * Everything written so far, then the rest as it comes; resolves when the stream has ended (or at
   * once for a finished one). A live stream replays from memory, so nothing is missed or doubled.
   */
  async follow(id: string, onChunk: (text: string) => void): Promise<void> {
    const s = this.live.get(id);
    if (!s) {
      const text = await this.read(id);
      if (text) onChunk(text);
      return;
    }
    if (s.chunks.length) onChunk(s.chunks.join(''));
    return new Promise<void>((resolve) => {
      const reader = (chunk: string | null) => {
        if (chunk !== null) return onChunk(chunk);
        s.readers.delete(reader);
        resolve();
      };
      s.readers.add(reader);
    });
  }

  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
    this.secrets.delete(id);
    await this.o.db?.deleteFrom('output_streams').where('id', '=', id).execute();
  }
}
