// Which platform process leads: runs what must run once (the dyno manager, the scheduler, housekeeping,
// webhook retries, the review-app sweep, add-on servers, scheduled backups). With SQLite there is one
// process on one machine, and it leads from the start. With PostgreSQL (SLIPWAY_DATABASE_URL) the leader
// is the holder of a session-level advisory lock, taken on a connection of its own: when the holder dies
// its connection drops (TCP keepalives, postgres.ts, notice a machine that is gone within ~15 s), the
// server ends its session and the lock is free; the others try for it every `retryMs`, so one of them
// takes over within seconds. A leader whose connection is lost stops leading at once (`onLost`): another
// process may hold the lock a moment later. It asks its connection every 2 s, so a leader cut off from
// the server learns it within ~7 s, before the server ends its session (~15 s) and another takes over.
//
// Changes made through any process reach the leader as notices on that connection (LISTEN/NOTIFY on
// `slipway_apps`, payload JSON `LeaderNotice`): `notify` sends one through the shared pool.
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from './index.ts';
import { postgresConfig } from './postgres.ts';

/** The advisory lock key of leadership (any fixed bigint, apart from the migrations'). */
const LEADER_LOCK = 7_305_921_002;
const CHANNEL = 'slipway_apps';
const HEARTBEAT_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 5000;

/** What another process asks of the leader's dyno manager for one app. */
export interface LeaderNotice {
  app: string;
  /** `ps:restart`: '' for every dyno, else a process type or a dyno name. */
  restart?: string;
  /** The app was destroyed: its dynos stop (its row may not be gone yet when this is sent). */
  gone?: boolean;
  /** The app's log drains were added or removed: the leader, which runs them, reads them again. */
  drains?: boolean;
}

export interface Leadership {
  /** Whether this process leads now. */
  readonly leading: boolean;
  /** Resolves once this process leads (at once with SQLite); never rejects. */
  readonly acquired: Promise<void>;
  /** Called with each notice another process sent, while this one leads. */
  onNotice(fn: (n: LeaderNotice) => void): void;
  /** Sends a notice to the leader (a no-op with SQLite: this process is it). */
  notify(n: LeaderNotice): Promise<void>;
  /** Gives leadership up (stop): the lock's connection is closed. */
  close(): Promise<void>;
}

/** With SQLite: the one process leads. */
export function soleLeadership(): Leadership {
  return { leading: true, acquired: Promise.resolve(), onNotice: () => undefined, notify: async () => undefined, close: async () => undefined };
}

export interface LockLeadershipOptions {
  url: string;
  /** The shared pool notices are sent through. */
  db: Db;
  /** How often a process that does not lead tries for the lock. */
  retryMs?: number;
  /** The lock's connection was lost while leading: the process must stop running what only the leader runs. */
  onLost: (err: Error) => void;
  /** A try that failed (the server unreachable); the next comes after `retryMs`. */
  onTryFailed?: (err: Error) => void;
}

/** Leadership by a PostgreSQL advisory lock; resolves after its first try (so `leading` says where it stands). */
export async function lockLeadership(o: LockLeadershipOptions): Promise<Leadership> {
  const retryMs = o.retryMs ?? 1000;
  let client: pg.Client | undefined;
  let leading = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const handlers: ((n: LeaderNotice) => void)[] = [];
  let resolveAcquired!: () => void;
  const acquired = new Promise<void>((r) => (resolveAcquired = r));

  const deliver = (payload: string | undefined) => {
    let n: LeaderNotice;
    try {
      n = JSON.parse(payload ?? '') as LeaderNotice;
    } catch {
      return;
    }
    if (typeof n?.app !== 'string' || (n.restart !== undefined && typeof n.restart !== 'string') || (n.gone !== undefined && n.gone !== true) || (n.drains !== undefined && n.drains !== true)) return;
    for (const h of handlers) h(n);
  };

  const attempt = async (): Promise<void> => {
    if (closed || leading) return;
    try {
      if (!client) {
        const c = new pg.Client(postgresConfig(o.url));
        c.on('error', (err) => lost(c, err));
        c.on('end', () => lost(c, new Error('the connection to PostgreSQL ended')));
        c.on('notification', (m) => { if (m.channel === CHANNEL && leading) deliver(m.payload); });
        client = c;
        await c.connect();
      }
      const r = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [LEADER_LOCK]);
      if (r.rows[0]?.got) {
        await client.query(`LISTEN ${CHANNEL}`);
        leading = true;
        const c = client;
        heartbeat = setInterval(() => void beat(c), HEARTBEAT_MS);
        resolveAcquired();
        return;
      }
    } catch (err) {
      o.onTryFailed?.(err as Error);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    }
    if (!closed) timer = setTimeout(() => void attempt(), retryMs);
  };

  const beat = async (c: pg.Client) => {
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { t = setTimeout(() => reject(new Error(`the server did not answer within ${HEARTBEAT_TIMEOUT_MS} ms`)), HEARTBEAT_TIMEOUT_MS); });
    try {
      await Promise.race([c.query('SELECT 1'), late]);
    } catch (err) {
      lost(c, err as Error);
      void c.end().catch(() => undefined);
    } finally {
      clearTimeout(t);
    }
  };

  const lost = (c: pg.Client, err: Error) => {
    if (c !== client) return;
    client = undefined;
    clearInterval(heartbeat);
    if (closed) return;
    // Not leading, the next try is already set (each try that fails sets the next); it connects again.
    if (leading) {
      leading = false;
      o.onLost(err);
    }
  };

  await attempt();
  return {
    get leading() { return leading; },
    acquired,
    onNotice: (fn) => void handlers.push(fn),
    notify: async (n) => {
      await sql`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(n)})`.execute(o.db);
    },
    close: async () => {
      closed = true;
      clearTimeout(timer);
      clearInterval(heartbeat);
      const c = client;
      client = undefined;
      leading = false;
      await c?.end().catch(() => undefined);
    },
  };
}
