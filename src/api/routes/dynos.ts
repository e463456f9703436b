// Formation (scale), dynos (list, restart, stop, one-off run) and log sessions of an app.
import { randomUUID } from 'node:crypto';
import { NoReleaseError, OneOffLimitError } from '../../dynos/manager.ts';
import { FormationError, type FormationUpdate } from '../../dynos/formation.ts';
import { findSize } from '../../runtime/sizes.ts';
import { now } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppParams } from '../schemas.ts';
import * as s from '../serialize.ts';
import { findApp } from './common.ts';
import { DynoParams, FormationUpdate as FormationUpdateBody, LogSessionBody, ResizeBody, RunBody, ScaleBody, TypeParams } from './dyno-schemas.ts';

export function dynoRoutes(api: Api, d: ApiDeps): void {
  const formationList = async (a: { id: string; name: string }) => {
    const types = await d.dynos.processTypes(a.id);
    return (await d.dynos.formation.list(a.id)).map((f) => s.formation(a, f, types[f.type] ?? ''));
  };

  api.get('/apps/:app/formation', { schema: { params: AppParams } }, async (req) => formationList(await findApp(d, req.params.app)));
  api.get('/apps/:app/formation/:type', { schema: { params: TypeParams } }, async (req) => {
    const a = await findApp(d, req.params.app);
    const f = (await formationList(a)).find((x) => x.type === req.params.type || x.id === req.params.type);
    if (!f) throw notFound('formation', `Couldn't find that process type (${req.params.type}).`);
    return f;
  });

  const scale = async (a: { id: string; name: string }, updates: FormationUpdate[], user: { email: string }) => {
    try {
      const changed = await d.dynos.scale(a.id, a.name, updates, user);
      return (await formationList(a)).filter((f) => changed.some((c) => c.id === f.id));
    } catch (err) {
      if (err instanceof FormationError) throw err.id === 'not_found' ? notFound('formation', err.message) : invalid(err.message);
      throw err;
    }
  };

  api.patch('/apps/:app/formation', { schema: { summary: 'Scale or resize process types', params: AppParams, body: ScaleBody } }, async (req) => {
    const a = await findApp(d, req.params.app);
    const updates = (req.body as { updates?: unknown })?.updates;
    if (!Array.isArray(updates) || updates.length === 0) throw invalid('Expected {"updates": [{"type": "web", "quantity": 2, "size": "standard-1X"}]}.');
    return scale(a, updates as FormationUpdate[], req.account);
  });
  api.patch('/apps/:app/formation/:type', { schema: { summary: 'Scale or resize one process type', params: TypeParams, body: FormationUpdateBody } }, async (req) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as FormationUpdate;
    return (await scale(a, [{ ...body, type: req.params.type }], req.account))[0];
  });

  api.get('/apps/:app/dynos', { schema: { params: AppParams } }, async (req) => {
    const a = await findApp(d, req.params.app);
    return d.dynos.listed(a.id).map((x) => s.dyno(a, x));
  });
  api.get('/apps/:app/dynos/:dyno', { schema: { params: DynoParams } }, async (req) => {
    const a = await findApp(d, req.params.app);
    const x = d.dynos.listed(a.id).find((y) => y.name === req.params.dyno || y.id === req.params.dyno);
    if (!x) throw notFound('dyno', `Couldn't find that dyno (${req.params.dyno}).`);
    return s.dyno(a, x);
  });

  api.post('/apps/:app/dynos', { schema: { summary: 'Run a one-off dyno (attach: true for a terminal)', params: AppParams, body: RunBody } }, async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { command?: unknown; attach?: unknown; size?: unknown; env?: unknown; force_no_tty?: unknown; type?: unknown };
    if (body.type !== undefined && (typeof body.type !== 'string' || !/^[\w-]{1,64}$/.test(body.type))) throw invalid('type must be a process type name (letters, digits, "-", "_").');
    if (typeof body.command !== 'string' || !body.command.trim()) throw invalid('command is required, e.g. {"command": "bash"}.');
    if (body.size !== undefined && (typeof body.size !== 'string' || !findSize(body.size))) throw invalid(`Unknown dyno size ${String(body.size)}.`);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries((body.env ?? {}) as Record<string, unknown>)) {
      if (!/^\w+$/.test(k)) throw invalid(`env name ${JSON.stringify(k)} is invalid: use letters, digits and underscores.`);
      if (v !== null && v !== undefined) env[k] = String(v); // the CLI sends COLUMNS and LINES as numbers
    }
    const attach = body.attach === true;
    try {
      const dyno = await d.dynos.oneOffs.run(a.id, body.command, req.account.email, { size: body.size as string | undefined, env, attach, type: body.type as string | undefined });
      reply.status(201);
      if (!attach) return s.dyno(a, dyno);
      const tty = body.force_no_tty !== true;
      const secret = d.rendezvous.expect(
        (stream) => d.dynos.oneOffs.attach(dyno, { stream, tty, columns: Number(env.COLUMNS) || undefined, lines: Number(env.LINES) || undefined }),
        () => d.dynos.oneOffs.attachTimedOut(dyno),
      );
      return { ...s.dyno(a, dyno), attach_url: `${d.rendezvous.url}/${secret}` };
    } catch (err) {
      if (err instanceof NoReleaseError || err instanceof OneOffLimitError) throw invalid(err.message);
      throw err;
    }
  });

  // Slipway's addition for `slipway run`: the attached terminal was resized.
  api.post('/apps/:app/dynos/:dyno/actions/resize', { schema: { params: DynoParams, body: ResizeBody } }, async (req) => {
    const a = await findApp(d, req.params.app);
    const dyno = d.dynos.listed(a.id).find((x) => x.name === req.params.dyno);
    if (!dyno) throw notFound('dyno', `Couldn't find that dyno (${req.params.dyno}).`);
    const b = (req.body ?? {}) as { columns?: unknown; lines?: unknown };
    if (!Number.isInteger(b.columns) || !Number.isInteger(b.lines)) throw invalid('columns and lines must be whole numbers.');
    await dyno.resize(b.columns as number, b.lines as number);
    return {};
  });

  const restart = async (app: string, target?: string) => {
    const a = await findApp(d, app);
    const n = d.dynos.restart(a.id, target);
    if (target && n === 0) throw notFound('dyno', `Couldn't find that dyno or process type (${target}).`);
    return {};
  };
  api.delete('/apps/:app/dynos', { schema: { summary: 'Restart every dyno', params: AppParams, body: AnyBody } }, async (req) => restart(req.params.app));
  api.delete('/apps/:app/dynos/:dyno', { schema: { summary: 'Restart a dyno (or a process type)', params: DynoParams, body: AnyBody } }, async (req) => restart(req.params.app, req.params.dyno));
  api.delete('/apps/:app/formations/:type', { schema: { summary: 'Restart a process type', params: TypeParams, body: AnyBody } }, async (req) => restart(req.params.app, req.params.type));

  const stop = async (app: string, target: string) => {
    const a = await findApp(d, app);
    if ((await d.dynos.stopDynos(a.id, target)) === 0) throw notFound('dyno', `Couldn't find that dyno or process type (${target}).`);
    return {};
  };
  api.post('/apps/:app/dynos/:dyno/actions/stop', { schema: { params: DynoParams, body: AnyBody } }, async (req) => stop(req.params.app, req.params.dyno));
  api.post('/apps/:app/formations/:type/actions/stop', { schema: { params: TypeParams, body: AnyBody } }, async (req) => stop(req.params.app, req.params.type));

  api.post('/apps/:app/log-sessions', { schema: { summary: 'Open a log session (its logplex_url streams the lines)', params: AppParams, body: LogSessionBody } }, async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const b = (req.body ?? {}) as { lines?: unknown; tail?: unknown; dyno?: unknown; dyno_name?: unknown; type?: unknown; source?: unknown };
    const lines = b.lines === undefined ? 100 : Number(b.lines);
    if (!Number.isInteger(lines) || lines < 0 || lines > 1500) throw invalid('lines must be a whole number from 0 to 1500.');
    if (b.source !== undefined && b.source !== 'app' && b.source !== 'heroku') throw invalid('source must be "app" or "heroku".');
    const dyno = [b.dyno, b.dyno_name, b.type].find((x) => typeof x === 'string' && x) as string | undefined;
    const session = d.logSessions.create(a.id, { lines, tail: b.tail === true, dyno, source: b.source as 'app' | 'heroku' | undefined });
    const t = now();
    reply.status(201);
    return { id: session.id ?? randomUUID(), logplex_url: `${d.publicUrl}/sessions/${session.id}`, created_at: t, updated_at: t };
  });
}
