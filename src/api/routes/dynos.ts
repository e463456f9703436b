// Formation (scale), dynos (list, restart, stop, one-off run) and log sessions of an app.
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { NoReleaseError } from '../../dynos/manager.ts';
import { findSize, DYNO_SIZES } from '../../runtime/sizes.ts';
import { now } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import * as s from '../serialize.ts';
import { findApp } from './common.ts';

type Params = { app: string };
interface Update { type?: unknown; quantity?: unknown; size?: unknown; dyno_size?: unknown }

/** Most dynos a process type may be scaled to (Heroku's default cap for an app is 100). */
const MAX_QUANTITY = 100;

export function dynoRoutes(api: FastifyInstance, d: ApiDeps): void {
  const formationList = async (a: { id: string; name: string }) => {
    const types = await d.dynos.processTypes(a.id);
    const rows = await d.db.selectFrom('formation').selectAll().where('app_id', '=', a.id).orderBy('type').execute();
    return rows.map((f) => s.formation(a, f, types[f.type] ?? ''));
  };

  api.get<{ Params: Params }>('/apps/:app/formation', async (req) => formationList(await findApp(d, req.params.app)));
  api.get<{ Params: Params & { type: string } }>('/apps/:app/formation/:type', async (req) => {
    const a = await findApp(d, req.params.app);
    const f = (await formationList(a)).find((x) => x.type === req.params.type || x.id === req.params.type);
    if (!f) throw notFound('formation', `Couldn't find that process type (${req.params.type}).`);
    return f;
  });

  const scale = async (a: { id: string; name: string }, updates: Update[], user: { email: string }) => {
    const rows = await d.db.selectFrom('formation').selectAll().where('app_id', '=', a.id).execute();
    const planned = updates.map((u, i) => {
      const row = rows.find((r) => r.type === u.type || r.id === u.type);
      if (!row) {
        const known = rows.map((r) => r.type).join(', ') || 'none yet (push code first)';
        throw notFound('formation', `Couldn't find that process type (${String(u.type)}). Process types of ${a.name}: ${known}.`);
      }
      let quantity = row.quantity;
      if (u.quantity !== undefined) {
        const q = String(u.quantity).trim();
        if (!/^[+-]?\d+$/.test(q)) throw invalid(`updates[${i}].quantity must be a number of dynos (or +N / -N), got ${JSON.stringify(u.quantity)}.`);
        quantity = /^[+-]/.test(q) ? row.quantity + Number(q) : Number(q);
        if (quantity < 0) quantity = 0;
        if (quantity > MAX_QUANTITY) throw invalid(`Cannot scale ${row.type} to ${quantity}: at most ${MAX_QUANTITY} dynos per process type.`);
        if (row.type === 'release' && quantity > 0) {
          throw invalid('The release process type runs once per release (the release phase), not as formation dynos; it cannot be scaled. ps:type release=SIZE sets its size.');
        }
      }
      let size = row.size;
      const sizeName = typeof u.size === 'string' ? u.size : (u.dyno_size as { name?: string } | undefined)?.name;
      if (sizeName !== undefined) {
        const found = findSize(sizeName);
        if (!found) throw invalid(`Unknown dyno size ${sizeName}. Sizes: ${DYNO_SIZES.map((x) => x.display).join(', ')}.`);
        size = found.name;
      }
      return { row, quantity, size };
    });
    for (const p of planned) {
      await d.db.updateTable('formation').set({ quantity: p.quantity, size: p.size, updated_at: now() }).where('id', '=', p.row.id).execute();
    }
    const summary = planned.map((p) => `${p.row.type}@${p.quantity}:${findSize(p.size)!.display}`).join(' ');
    d.logs.emit(a.id, 'app', 'api', `Scaled to ${summary} by user ${user.email}`);
    d.dynos.wake(a.id);
    const list = await formationList(a);
    return list.filter((f) => planned.some((p) => p.row.id === f.id));
  };

  api.patch<{ Params: Params }>('/apps/:app/formation', async (req) => {
    const a = await findApp(d, req.params.app);
    const updates = (req.body as { updates?: unknown })?.updates;
    if (!Array.isArray(updates) || updates.length === 0) throw invalid('Expected {"updates": [{"type": "web", "quantity": 2, "size": "standard-1X"}]}.');
    return scale(a, updates as Update[], req.account);
  });
  api.patch<{ Params: Params & { type: string } }>('/apps/:app/formation/:type', async (req) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as Update;
    return (await scale(a, [{ ...body, type: req.params.type }], req.account))[0];
  });

  api.get<{ Params: Params }>('/apps/:app/dynos', async (req) => {
    const a = await findApp(d, req.params.app);
    return d.dynos.dynos(a.id).map((x) => s.dyno(a, x));
  });
  api.get<{ Params: Params & { dyno: string } }>('/apps/:app/dynos/:dyno', async (req) => {
    const a = await findApp(d, req.params.app);
    const x = d.dynos.dynos(a.id).find((y) => y.name === req.params.dyno || y.id === req.params.dyno);
    if (!x) throw notFound('dyno', `Couldn't find that dyno (${req.params.dyno}).`);
    return s.dyno(a, x);
  });

  api.post<{ Params: Params }>('/apps/:app/dynos', async (req, reply) => {
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
      const dyno = await d.dynos.runOneOff(a.id, body.command, req.account.email, { size: body.size as string | undefined, env, attach, type: body.type as string | undefined });
      reply.status(201);
      if (!attach) return s.dyno(a, dyno);
      const tty = body.force_no_tty !== true;
      const secret = d.rendezvous.expect(
        (stream) => d.dynos.attach(dyno, { stream, tty, columns: Number(env.COLUMNS) || undefined, lines: Number(env.LINES) || undefined }),
        () => d.dynos.attachTimedOut(dyno),
      );
      return { ...s.dyno(a, dyno), attach_url: `${d.rendezvous.url}/${secret}` };
    } catch (err) {
      if (err instanceof NoReleaseError) throw invalid(err.message);
      throw err;
    }
  });

  // Slipway's addition for `slipway run`: the attached terminal was resized.
  api.post<{ Params: Params & { dyno: string } }>('/apps/:app/dynos/:dyno/actions/resize', async (req) => {
    const a = await findApp(d, req.params.app);
    const dyno = d.dynos.dynos(a.id).find((x) => x.name === req.params.dyno);
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
  api.delete<{ Params: Params }>('/apps/:app/dynos', async (req) => restart(req.params.app));
  api.delete<{ Params: Params & { dyno: string } }>('/apps/:app/dynos/:dyno', async (req) => restart(req.params.app, req.params.dyno));
  api.delete<{ Params: Params & { type: string } }>('/apps/:app/formations/:type', async (req) => restart(req.params.app, req.params.type));

  const stop = async (app: string, target: string) => {
    const a = await findApp(d, app);
    if ((await d.dynos.stopDynos(a.id, target)) === 0) throw notFound('dyno', `Couldn't find that dyno or process type (${target}).`);
    return {};
  };
  api.post<{ Params: Params & { dyno: string } }>('/apps/:app/dynos/:dyno/actions/stop', async (req) => stop(req.params.app, req.params.dyno));
  api.post<{ Params: Params & { type: string } }>('/apps/:app/formations/:type/actions/stop', async (req) => stop(req.params.app, req.params.type));

  api.post<{ Params: Params }>('/apps/:app/log-sessions', async (req, reply) => {
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
