// /apps, /apps/{app} and buildpack installations.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { BuildpackError, buildpackName, resolveBuildpack } from '../../build/buildpacks.ts';
import { now } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, conflict, invalid } from '../errors.ts';
import { appNameProblem, generateAppName } from '../names.ts';
import * as s from '../serialize.ts';
import { findApp, users, unknownUser } from './common.ts';

type Params = { app: string };

export function appRoutes(api: FastifyInstance, d: ApiDeps): void {
  const show = async (a: Awaited<ReturnType<typeof findApp>>) => {
    const owner = (await users(d, [a.owner_id])).get(a.owner_id) ?? unknownUser(a.owner_id);
    const rel = await d.releases.current(a.id);
    const slug = rel?.slug_id ? await d.db.selectFrom('slugs').select('size').where('id', '=', rel.slug_id).executeTakeFirst() : undefined;
    return s.app(d, a, owner, slug?.size ?? null);
  };

  api.post('/apps', async (req, reply) => {
    const body = (req.body ?? {}) as { name?: unknown; stack?: unknown };
    if (body.stack !== undefined && body.stack !== d.stack && (body.stack as { name?: string })?.name !== d.stack) {
      throw invalid(`Stack ${JSON.stringify(body.stack)} is not available; this platform runs ${d.stack}.`);
    }
    let name: string;
    if (body.name === undefined || body.name === null || body.name === '') {
      do name = generateAppName();
      while (await d.db.selectFrom('apps').select('id').where('name', '=', name).executeTakeFirst());
    } else {
      const problem = appNameProblem(body.name);
      if (problem) throw invalid(problem);
      name = body.name as string;
    }
    if (await d.db.selectFrom('apps').select('id').where('name', '=', name).executeTakeFirst()) {
      throw new ApiError(422, 'invalid_params', `Name ${name} is already taken.`);
    }
    const t = now();
    const row = { id: randomUUID(), name, owner_id: req.account.id, stack: d.stack, maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t };
    await d.repos.create(row.id);
    try {
      await d.db.insertInto('apps').values(row).execute();
    } catch (err) {
      await d.repos.remove(row.id);
      if (/UNIQUE/.test(String(err))) throw new ApiError(422, 'invalid_params', `Name ${name} is already taken.`);
      throw err;
    }
    d.dynos.track(row.id, row.name);
    reply.status(201);
    return show(row);
  });

  const list = async () => {
    const apps = await d.db.selectFrom('apps').selectAll().orderBy('name').execute();
    return Promise.all(apps.map(show));
  };
  api.get('/apps', list);
  api.get('/users/~/apps', list);
  api.get<{ Params: Params }>('/apps/:app', async (req) => show(await findApp(d, req.params.app)));

  api.patch<{ Params: Params }>('/apps/:app', async (req) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { name?: unknown; maintenance?: unknown };
    if (body.maintenance !== undefined) {
      if (typeof body.maintenance !== 'boolean') throw invalid('maintenance must be true or false.');
      a.maintenance = body.maintenance ? 1 : 0;
    }
    const rename = body.name !== undefined && body.name !== a.name;
    if (rename) {
      const problem = appNameProblem(body.name);
      if (problem) throw invalid(problem);
      if (await d.db.selectFrom('apps').select('id').where('name', '=', body.name as string).executeTakeFirst()) throw invalid(`Name ${body.name} is already taken.`);
      // The repository, slugs and dynos are keyed by the app's id, so only the name moves.
      a.name = body.name as string;
    }
    a.updated_at = now();
    await d.db.updateTable('apps').set({ name: a.name, maintenance: a.maintenance, updated_at: a.updated_at }).where('id', '=', a.id).execute();
    if (rename) d.dynos.renamed(a.id, a.name);
    d.dynos.setMaintenance(a.id, a.maintenance === 1);
    return show(a);
  });

  api.delete<{ Params: Params }>('/apps/:app', async (req) => {
    const a = await findApp(d, req.params.app);
    const shown = await show(a);
    await d.addons.destroyForApp(a.id, req.account); // "including all add-ons", as Heroku's apps:destroy says
    await d.dynos.untrack(a.id);
    await d.db.deleteFrom('apps').where('id', '=', a.id).execute();
    await d.repos.remove(a.id);
    d.logSessions.forget(a.id);
    d.drains.forget(a.id);
    return shown;
  });

  api.get<{ Params: Params }>('/apps/:app/buildpack-installations', async (req) => {
    const a = await findApp(d, req.params.app);
    const rows = await d.db.selectFrom('buildpack_installations').selectAll().where('app_id', '=', a.id).orderBy('ordinal').execute();
    return rows.map((r) => ({ ordinal: r.ordinal, buildpack: { url: r.url, name: buildpackName(r.url) } }));
  });

  api.put<{ Params: Params }>('/apps/:app/buildpack-installations', async (req) => {
    const a = await findApp(d, req.params.app);
    const updates = (req.body as { updates?: unknown })?.updates;
    if (!Array.isArray(updates)) throw invalid('Expected {"updates": [{"buildpack": "<url or name>"}, ...]}.');
    const urls = updates.map((u, i) => {
      const url = (u as { buildpack?: unknown })?.buildpack;
      if (typeof url !== 'string' || !url) throw invalid(`updates[${i}].buildpack must be a buildpack URL or name.`);
      try { resolveBuildpack(url, '/'); } catch (e) { if (e instanceof BuildpackError && !/has no bin\/compile/.test(e.message)) throw invalid(e.message); }
      return url;
    });
    if (new Set(urls).size !== urls.length) throw conflict('The same buildpack is listed twice.');
    await d.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('buildpack_installations').where('app_id', '=', a.id).execute();
      for (const [i, url] of urls.entries()) await trx.insertInto('buildpack_installations').values({ app_id: a.id, ordinal: i, url }).execute();
    });
    return urls.map((url, i) => ({ ordinal: i, buildpack: { url, name: buildpackName(url) } }));
  });
}
