// Scheduler jobs (our API for Heroku Scheduler, whose own is not the Platform API's):
// /apps/{app}/scheduler/jobs (list, add) and /apps/{app}/scheduler/jobs/{id} (show, update, remove).
import { Type } from 'typebox';
import type { JobRow } from '../../scheduler/index.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, Maybe } from '../schemas.ts';
import { findSize, DYNO_SIZES } from '../../runtime/sizes.ts';
import { invalid } from '../errors.ts';

export type SchedulerRouteDeps = Pick<ApiDeps, 'apps' | 'scheduler'>;

const OneParams = Type.Object({ app: AppName, id: Type.String() });
const Body = Type.Object({
  command: Maybe(Type.String({ maxLength: 4096 }), 'command must be a string.'),
  every: Maybe(Type.String({ maxLength: 10 }), 'every must be 10m, 1h or 1d.'),
  at: Maybe(Type.String({ maxLength: 10 }), 'at must be HH:MM.'),
  cron: Maybe(Type.String({ maxLength: 200 }), 'cron must be a five-field cron expression.'),
  dyno_size: Maybe(Type.String({ maxLength: 40 }), 'dyno_size must be a dyno size name.'),
});

function size(v: string | null | undefined): string | null | undefined {
  if (v == null) return v;
  const found = findSize(v);
  if (!found) throw invalid(`dyno_size ${JSON.stringify(v)} is not a dyno size; use one of ${DYNO_SIZES.map((s) => s.name).join(', ')}.`);
  return found.name;
}

export function schedulerRoutes(api: Api, d: SchedulerRouteDeps): void {
  const shape = (j: JobRow, app: { id: string; name: string }) => ({
    id: j.id, app: { id: app.id, name: app.name }, command: j.command, every: j.every, at: j.at, cron: j.cron, dyno_size: j.dyno_size,
    next_run_at: iso(j.next_run_at), last_run_at: iso(j.last_run_at), created_at: iso(j.created_at), updated_at: iso(j.updated_at),
  });
  api.get('/apps/:app/scheduler/jobs', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.scheduler.list(a.id)).map((j) => shape(j, a));
  });
  api.post('/apps/:app/scheduler/jobs', { schema: { summary: 'Add a Scheduler job', params: AppParams, body: Body } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const b = req.body;
    const row = await d.scheduler.add(a.id, { command: b.command ?? undefined, every: b.every, at: b.at, cron: b.cron, dyno_size: size(b.dyno_size) });
    reply.status(201);
    return shape(row, a);
  });
  api.get('/apps/:app/scheduler/jobs/:id', { schema: { params: OneParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return shape(await d.scheduler.find(a.id, req.params.id), a);
  });
  api.patch('/apps/:app/scheduler/jobs/:id', { schema: { summary: 'Update a Scheduler job', params: OneParams, body: Body } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const b = req.body;
    return shape(await d.scheduler.update(a.id, req.params.id, { command: b.command ?? undefined, every: b.every, at: b.at, cron: b.cron, dyno_size: b.dyno_size === undefined ? undefined : size(b.dyno_size) }), a);
  });
  api.delete('/apps/:app/scheduler/jobs/:id', { schema: { params: OneParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return shape(await d.scheduler.remove(a.id, req.params.id), a);
  });
}
