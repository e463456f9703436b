// Router metrics per app and minute (our addition; Heroku serves its dashboard's from another host):
// GET /apps/{app}/router-metrics[?since=ISO][&step=seconds] → the minutes with traffic, oldest first,
// from the last 24 hours, the one in progress included; with a step, merged into windows that long
// (percentiles from the merged histograms). GET /apps/{app}/dyno-metrics[?since=ISO] → each process
// type's memory and load per minute.
import { Type } from 'typebox';
import { KEEP_MINUTES, MINUTE, mergeMinutes } from '../../router/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid } from '../errors.ts';
import type { Api } from '../http.ts';
import { AppParams } from '../schemas.ts';

export type MetricsRouteDeps = Pick<ApiDeps, 'apps' | 'routerMetrics' | 'routerMetricsStore' | 'dynoMetrics'>;

const Query = Type.Object({
  since: Type.Optional(Type.String({ description: 'ISO 8601 time, e.g. 2026-11-25T10:00:00Z' })),
  step: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$', description: 'seconds per point, a multiple of 60 up to 86400 (default 60: each minute)' })),
});

/** The window length a `step` asks for, in ms (a 422 unless a whole number of minutes up to a day). */
export function stepMs(step: string | undefined): number {
  const s = step === undefined ? 60 : Number(step);
  if (!Number.isInteger(s) || s < 60 || s > 86400 || s % 60 !== 0) throw invalid(`step must be a number of seconds, a multiple of 60 from 60 to 86400, got ${JSON.stringify(step)}.`);
  return s * 1000;
}

/** The `since` asked for, no earlier than `floor` (ms). */
export function sinceMs(since: string | undefined, floor: number): number {
  if (since === undefined) return floor;
  const t = Date.parse(since);
  if (!Number.isFinite(t)) throw invalid(`since must be a time such as 2026-11-25T10:00:00Z, got ${JSON.stringify(since)}.`);
  return Math.max(t, floor);
}

export function metricsRoutes(api: Api, d: MetricsRouteDeps): void {
  api.get('/apps/:app/router-metrics', { schema: { params: AppParams, querystring: Query } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const step = stepMs(req.query.step);
    const from = new Date(sinceMs(req.query.since, Date.now() - KEEP_MINUTES * MINUTE)).toISOString();
    const minutes = await d.routerMetricsStore.since(a.id, from);
    const now = d.routerMetrics.currentMinute(a.id);
    if (now && now.minute >= from && !minutes.some((m) => m.minute === now.minute)) minutes.push(now);
    return step === MINUTE ? minutes : mergeMinutes(minutes, step);
  });
  // Ours too: each process type's dyno memory (mean and max per dyno, against the quota) and load per minute.
  api.get('/apps/:app/dyno-metrics', { schema: { params: AppParams, querystring: Type.Object({ since: Query.properties.since }) } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return d.dynoMetrics.since(a.id, new Date(sinceMs(req.query.since, Date.now() - KEEP_MINUTES * MINUTE)).toISOString());
  });
}
