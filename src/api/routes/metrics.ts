// Router metrics per app and minute (our addition; Heroku serves its dashboard's from another host):
// GET /apps/{app}/router-metrics[?since=ISO] → the minutes with traffic, oldest first, from the last
// 24 hours, the one in progress included.
import { Type } from 'typebox';
import { KEEP_MINUTES, MINUTE } from '../../router/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid } from '../errors.ts';
import type { Api } from '../http.ts';
import { AppParams } from '../schemas.ts';

export type MetricsRouteDeps = Pick<ApiDeps, 'apps' | 'routerMetrics' | 'routerMetricsStore'>;

const Query = Type.Object({ since: Type.Optional(Type.String({ description: 'ISO 8601 time, e.g. 2026-11-25T10:00:00Z' })) });

export function metricsRoutes(api: Api, d: MetricsRouteDeps): void {
  api.get('/apps/:app/router-metrics', { schema: { params: AppParams, querystring: Query } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const floor = Date.now() - KEEP_MINUTES * MINUTE;
    let since = floor;
    if (req.query.since !== undefined) {
      since = Date.parse(req.query.since);
      if (!Number.isFinite(since)) throw invalid(`since must be a time such as 2026-11-25T10:00:00Z, got ${JSON.stringify(req.query.since)}.`);
    }
    const from = new Date(Math.max(since, floor)).toISOString();
    const minutes = await d.routerMetricsStore.since(a.id, from);
    const now = d.routerMetrics.currentMinute(a.id);
    if (now && now.minute >= from && !minutes.some((m) => m.minute === now.minute)) minutes.push(now);
    return minutes;
  });
}
