// Router metrics kept in the store: finished minutes (router/metrics.ts hands them over) per app, pruned
// past 24 hours, read back for `GET /apps/{app}/router-metrics` with the minute in progress.
import { isForeignKeyViolation, type Db } from '../store/index.ts';
import { KEEP_MINUTES, MINUTE, type MinuteMetrics } from './metrics.ts';

export class RouterMetricsStore {
  constructor(private readonly o: { db: Db; onError: (message: string) => void }) {}

  /** Stores (or replaces) one finished minute of an app. */
  save(appId: string, m: MinuteMetrics): void {
    const data = JSON.stringify(m);
    void this.o.db.insertInto('router_metrics').values({ app_id: appId, minute: m.minute, data })
      .onConflict((oc) => oc.columns(['app_id', 'minute']).doUpdateSet({ data })).execute()
      // An app destroyed within the minute has nothing left to store it under.
      .catch((err: Error) => { if (!isForeignKeyViolation(err)) this.o.onError(`router metrics: storing a minute failed: ${err.message}`); });
  }

  /** Drops minutes older than the 24 hours kept. */
  prune(nowMs = Date.now()): Promise<void> {
    return this.o.db.deleteFrom('router_metrics').where('minute', '<', new Date(nowMs - KEEP_MINUTES * MINUTE).toISOString()).execute()
      .then(() => undefined, () => undefined); // the database is closing; the next start prunes
  }

  /** The app's stored minutes from `from` (ISO) on, oldest first. */
  async since(appId: string, from: string): Promise<MinuteMetrics[]> {
    const rows = await this.o.db.selectFrom('router_metrics').select('data').where('app_id', '=', appId).where('minute', '>=', from).orderBy('minute').execute();
    return rows.map((r) => JSON.parse(r.data) as MinuteMetrics);
  }
}
