// The history of dynos' runtime samples for the dashboard's memory and load charts: each sample the
// sampler takes is folded into its app's process type's current minute (memory mean and max per dyno,
// the quota, the 1-minute load mean), and finished minutes go to the store, which keeps 24 hours like
// the router's minutes. Memory is rss + swap, as R14 counts it. One minute per app and type is held in
// memory at a time.
import { isForeignKeyViolation, type Db } from '../store/index.ts';

const MINUTE = 60_000;
const KEEP_MS = 24 * 60 * MINUTE;
const MB = 1024 * 1024;

export interface DynoMinute {
  minute: string;
  type: string;
  /** Mean and largest memory of one dyno of the type over the minute's samples, MB. */
  memory_mb: number;
  memory_max_mb: number;
  quota_mb: number;
  /** Mean 1-minute load average of one dyno. */
  load: number;
  /** Dynos sampled (most in one sampling round). */
  dynos: number;
}

interface Acc { start: number; type: string; memSum: number; memMax: number; quota: number; loadSum: number; n: number; dynos: Set<string> }

export class DynoMetricsHistory {
  private readonly current = new Map<string, Acc>();

  constructor(private readonly o: { db: Db; onError: (message: string) => void; now?: () => number }) {}

  private now(): number { return (this.o.now ?? Date.now)(); }

  /** One sample of one dyno. */
  record(appId: string, type: string, dyno: string, memoryBytes: number, quotaBytes: number, load1m: number): void {
    const start = Math.floor(this.now() / MINUTE) * MINUTE;
    const key = `${appId}\0${type}`;
    let a = this.current.get(key);
    if (a && a.start !== start) {
      this.save(appId, a);
      a = undefined;
    }
    if (!a) this.current.set(key, (a = { start, type, memSum: 0, memMax: 0, quota: quotaBytes, loadSum: 0, n: 0, dynos: new Set() }));
    a.memSum += memoryBytes;
    a.memMax = Math.max(a.memMax, memoryBytes);
    a.quota = quotaBytes;
    a.loadSum += load1m;
    a.n++;
    a.dynos.add(dyno);
  }

  /** Stores the minutes that have ended (all of them at shutdown) and prunes past 24 hours. */
  flush(all = false): void {
    const start = Math.floor(this.now() / MINUTE) * MINUTE;
    for (const [key, a] of this.current) {
      if (all || a.start !== start) {
        this.save(key.split('\0')[0]!, a);
        this.current.delete(key);
      }
    }
    void this.o.db.deleteFrom('dyno_metrics').where('minute', '<', new Date(this.now() - KEEP_MS).toISOString()).execute().catch(() => undefined);
  }

  private save(appId: string, a: Acc): void {
    const m = summarize(a);
    const data = JSON.stringify(m);
    void this.o.db.insertInto('dyno_metrics').values({ app_id: appId, minute: m.minute, type: a.type, data })
      .onConflict((oc) => oc.columns(['app_id', 'minute', 'type']).doUpdateSet({ data })).execute()
      .catch((err: Error) => { if (!isForeignKeyViolation(err)) this.o.onError(`dyno metrics: storing a minute failed: ${err.message}`); });
  }

  /** The app's minutes from `from` (ISO) on, oldest first, the ones in progress included. */
  async since(appId: string, from: string): Promise<DynoMinute[]> {
    const rows = await this.o.db.selectFrom('dyno_metrics').select('data').where('app_id', '=', appId).where('minute', '>=', from).orderBy('minute').execute();
    const stored = rows.map((r) => JSON.parse(r.data) as DynoMinute);
    for (const [key, a] of this.current) {
      const m = summarize(a);
      if (key.startsWith(`${appId}\0`) && m.minute >= from && !stored.some((s) => s.minute === m.minute && s.type === m.type)) stored.push(m);
    }
    return stored;
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

function summarize(a: Acc): DynoMinute {
  return {
    minute: new Date(a.start).toISOString(), type: a.type, memory_mb: round(a.memSum / a.n / MB), memory_max_mb: round(a.memMax / MB),
    quota_mb: round(a.quota / MB), load: round(a.loadSum / a.n), dynos: a.dynos.size,
  };
}
