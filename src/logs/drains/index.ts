// An app's log drains: the rows (store) and the live drains that forward the app's stream to them.
// Every line of the app goes to each of its drains (no filter, as on Heroku), in the stream's order.
// At most `maxPerApp` drains per app (Heroku's limit, 5). Rows and live drains are changed together:
// a drain runs exactly while its row exists (from `start`, `add` until `remove` or the app's deletion).
// With several platform processes drains run in the leader alone (the one that called `start`), which
// stores every process's lines (shared.ts): a drain added or removed through another process is stored
// there and `onChange` tells the leader, which calls `resync` for the app.
import { randomUUID } from 'node:crypto';
import { isUniqueViolation, type Db } from '../../store/index.ts';
import type { LogDrainsTable } from '../../store/schema.ts';
import type { LogLine } from '../types.ts';
import { isIP } from 'node:net';
import { egressFromEnv, refusal, type EgressPolicy } from '../../egress/index.ts';
import type { Drain, DrainOptions } from './drain.ts';
import { HttpDrain } from './http.ts';
import { SyslogDrain } from './syslog.ts';
import { DrainUrlError, parseDrainUrl, redactDrainUrl } from './url.ts';
import { PlatformError } from '../../errors.ts';

export { DrainUrlError, parseDrainUrl, redactDrainUrl } from './url.ts';
export { drainOverflowMessage, httpFrame, syslogFrame } from './frame.ts';
export type DrainRow = LogDrainsTable;

/** A drain that cannot be added; the message says why and what to do. */
export class DrainError extends PlatformError {
  constructor(message: string) { super(422, 'invalid_params', message); }
}

/** What drains need of logplex: to follow an app's stream and to write notices into it. */
export interface DrainSource {
  follow(appId: string, onLine: (line: LogLine) => void): () => void;
  emit(appId: string, source: 'app' | 'heroku', dyno: string, message: string): void;
}

/** How drain URLs (which may carry credentials) are stored: encrypted, each bound to its row. */
export interface DrainUrlCipher {
  seal(row: Pick<DrainRow, 'app_id' | 'id'>, url: string): string;
  open(row: DrainRow): string;
}

export interface DrainsOptions {
  db: Db;
  logs: DrainSource;
  urls: DrainUrlCipher;
  maxPerApp?: number;
  /** Backlog bound of each drain in lines. Default 1024. */
  bufferLines?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  reportError?: (err: unknown, context: string) => void;
  /** Which addresses drains may connect to (egress/); default: the operator's setting. */
  egress?: EgressPolicy;
  /**
   * True: this process runs no drain before `start` (a platform process that may not lead), and a drain
   * added or removed meanwhile is passed to `onChange` for the process that does. Otherwise `add` runs one at once.
   */
  waitForStart?: boolean;
  onChange?: (appId: string) => void;
}

interface Live {
  drain: Drain;
  appId: string;
  unfollow: () => void;
}

export class Drains {
  private readonly o: DrainsOptions;
  private readonly live = new Map<string, Live>();
  private running: boolean;

  constructor(o: DrainsOptions) {
    this.o = o;
    this.running = !o.waitForStart;
  }

  /** Starts a drain for every stored row (platform start, or this process now leads); from now on this process delivers. */
  async start(): Promise<void> {
    this.running = true;
    const rows = await this.o.db.selectFrom('log_drains').selectAll().execute();
    for (const row of rows) if (!this.live.has(row.id)) this.run({ ...row, url: this.o.urls.open(row) });
  }

  /** Makes the app's live drains its stored rows (a change made through another process). */
  async resync(appId: string): Promise<void> {
    if (!this.running) return;
    const rows = await this.list(appId);
    const ids = new Set(rows.map((r) => r.id));
    for (const [id, l] of this.live) if (l.appId === appId && !ids.has(id)) void this.stop(id);
    for (const row of rows) if (!this.live.has(row.id)) this.run(row);
  }

  private changed(appId: string, row: DrainRow, started: boolean): void {
    if (this.running) {
      if (started) this.run(row);
      else void this.stop(row.id);
    } else this.o.onChange?.(appId);
  }

  async list(appId: string): Promise<DrainRow[]> {
    const rows = await this.o.db.selectFrom('log_drains').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();
    return rows.map((row) => ({ ...row, url: this.o.urls.open(row) }));
  }

  /** One drain of the app by id, URL or token. */
  async find(appId: string, key: string): Promise<DrainRow | undefined> {
    return (await this.list(appId)).find((d) => d.id === key || d.url === key || d.token === key);
  }

  async add(appId: string, rawUrl: unknown): Promise<DrainRow> {
    let target;
    try {
      target = parseDrainUrl(rawUrl);
    } catch (err) {
      if (err instanceof DrainUrlError) throw new DrainError(err.message);
      throw err;
    }
    const url = (rawUrl as string).trim();
    // A literal internal address is refused now; a name is checked at each connect (it may change).
    const host = target.kind === 'http' ? target.url.hostname.replace(/^\[(.*)\]$/, '$1') : target.host;
    const why = isIP(host) ? refusal(host, this.o.egress ?? egressFromEnv()) : undefined;
    if (why) throw new DrainError(`Cannot drain to ${redactDrainUrl(url)}: ${why}.`);
    const existing = await this.list(appId);
    if (existing.some((d) => d.url === url)) throw new DrainError(`Url has already been taken: this app already drains to ${redactDrainUrl(url)}.`);
    const max = this.o.maxPerApp ?? 5;
    if (existing.length >= max) throw new DrainError(`This app already has ${existing.length} drains, the most an app may have (${max}). Remove one first (drains:remove).`);
    const t = new Date().toISOString();
    const row: DrainRow = { id: randomUUID(), app_id: appId, url, token: `d.${randomUUID()}`, created_at: t, updated_at: t };
    try {
      await this.o.db.insertInto('log_drains').values({ ...row, url: this.o.urls.seal(row, url) }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DrainError(`Url has already been taken: this app already drains to ${redactDrainUrl(url)}.`);
      throw err;
    }
    this.changed(appId, row, true);
    return row;
  }

  async remove(appId: string, key: string): Promise<DrainRow | undefined> {
    const row = await this.find(appId, key);
    if (!row) return undefined;
    await this.o.db.deleteFrom('log_drains').where('id', '=', row.id).execute();
    this.changed(appId, row, false);
    return row;
  }

  /** The app was destroyed (its rows went with it): stop its drains. */
  forget(appId: string): void {
    for (const [id, l] of this.live) if (l.appId === appId) void this.stop(id);
  }

  /** Live drain of a row, for tests and metrics. */
  drain(id: string): Drain | undefined {
    return this.live.get(id)?.drain;
  }

  /** Each live drain's backlog in lines (the platform's metrics). */
  backlogs(): { drainId: string; appId: string; lines: number }[] {
    return [...this.live].map(([drainId, l]) => ({ drainId, appId: l.appId, lines: l.drain.backlog }));
  }

  /** Stops every drain, giving backlogs up to `flushMs` to go out. */
  async close(flushMs = 0): Promise<void> {
    await Promise.all([...this.live.keys()].map((id) => this.stop(id, flushMs)));
  }

  private run(row: DrainRow): void {
    let target;
    try {
      target = parseDrainUrl(row.url);
    } catch (err) {
      this.report(err, `drain ${row.id} of app ${row.app_id} has an unusable URL; not started`);
      return;
    }
    const opts: DrainOptions = {
      id: row.id, token: row.token, url: row.url, target,
      bufferLines: this.o.bufferLines, minBackoffMs: this.o.minBackoffMs, maxBackoffMs: this.o.maxBackoffMs,
      notice: (message) => this.o.logs.emit(row.app_id, 'heroku', 'logplex', message),
      reportError: (err, context) => this.report(err, context),
      egress: this.o.egress,
    };
    const drain = target.kind === 'syslog' ? new SyslogDrain({ ...opts, target }) : new HttpDrain({ ...opts, target });
    const unfollow = this.o.logs.follow(row.app_id, (line) => drain.accept(line));
    this.live.set(row.id, { drain, appId: row.app_id, unfollow });
  }

  private async stop(id: string, flushMs = 0): Promise<void> {
    const l = this.live.get(id);
    if (!l) return;
    this.live.delete(id);
    l.unfollow();
    await l.drain.close(flushMs);
  }

  private report(err: unknown, context: string): void {
    if (this.o.reportError) this.o.reportError(err, context);
    else process.stderr.write(`logplex: ${context}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
