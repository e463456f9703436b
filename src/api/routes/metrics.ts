// Router metrics per app and minute (our addition; Heroku serves its dashboard's from another host):
// GET /apps/{app}/router-metrics[?since=ISO] → the minutes with traffic, oldest first, from the last
// 24 hours, the one in progress included.
import type { FastifyInstance } from 'fastify';
import { KEEP_MINUTES, MINUTE, type MinuteMetrics } from '../../router/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid } from '../errors.ts';
import { findApp } from './common.ts';

export function metricsRoutes(api: FastifyInstance, d: ApiDeps): void {
  api.get<{ Params: { app: string }; Querystring: { since?: string } }>('/apps/:app/router-metrics', async (req) => {
    const a = await findApp(d, req.params.app);
    const floor = Date.now() - KEEP_MINUTES * MINUTE;
    let since = floor;
    if (req.query.since !== undefined) {
      since = Date.parse(req.query.since);
      if (!Number.isFinite(since)) throw invalid(`since must be a time such as 2026-11-25T10:00:00Z, got ${JSON.stringify(req.query.since)}.`);
    }
    const from = new Date(Math.max(since, floor)).toISOString();
    const rows = await d.db.selectFrom('router_metrics').select('data').where('app_id', '=', a.id).where('minute', '>=', from).orderBy('minute').execute();
    const minutes: MinuteMetrics[] = rows.map((r) => JSON.parse(r.data));
    const now = d.routerMetrics.currentMinute(a.id);
    if (now && now.minute >= from && !minutes.some((m) => m.minute === now.minute)) minutes.push(now);
    return minutes;
  });
}
