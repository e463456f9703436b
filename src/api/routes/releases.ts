// Releases, builds and slugs of an app (read side; releases are made by builds and config changes).
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { paginate, parseRange, type Page } from '../range.ts';
import * as s from '../serialize.ts';
import { findApp, users, unknownUser } from './common.ts';

type Params = { app: string };

export function sendPage<T>(reply: FastifyReply, fields: string[], page: Page<T>) {
  reply.header('Accept-Ranges', fields.join(', ')).header('Content-Range', page.contentRange).status(page.status);
  if (page.nextRange) reply.header('Next-Range', page.nextRange);
  return page.items;
}

export function releaseRoutes(api: FastifyInstance, d: ApiDeps): void {
  api.get<{ Params: Params }>('/apps/:app/releases', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const rows = await d.releases.list(a.id);
    const current = (await d.releases.current(a.id))?.id;
    const fields = ['id', 'version'];
    const page = paginate(rows, parseRange(req.headers.range, fields, 'version'), (r, f) => (f === 'version' ? r.version : r.id));
    const byId = await users(d, page.items.map((r) => r.user_id));
    return sendPage(reply, fields, { ...page, items: page.items.map((r) => s.release(a, r, byId.get(r.user_id) ?? unknownUser(r.user_id), r.id === current)) });
  });

  const oneRelease = async (app: string, idOrVersion: string) => {
    const a = await findApp(d, app);
    const r = await d.releases.find(a.id, idOrVersion);
    if (!r) throw notFound('release', "Couldn't find that release.");
    return { a, r };
  };
  api.get<{ Params: Params & { release: string } }>('/apps/:app/releases/:release', async (req) => {
    const { a, r } = await oneRelease(req.params.app, req.params.release);
    const current = (await d.releases.current(a.id))?.id;
    const u = (await users(d, [r.user_id])).get(r.user_id) ?? unknownUser(r.user_id);
    return s.release(a, r, u, r.id === current);
  });
  api.get<{ Params: Params & { release: string } }>('/apps/:app/releases/:release/config-vars', async (req) => {
    const { r } = await oneRelease(req.params.app, req.params.release);
    return JSON.parse(r.config);
  });

  api.get<{ Params: Params }>('/apps/:app/builds', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const rows = await d.db.selectFrom('builds').selectAll().where('app_id', '=', a.id).orderBy('created_at').execute();
    const fields = ['id', 'created_at'];
    const page = paginate(rows, parseRange(req.headers.range, fields, 'created_at'), (r, f) => (f === 'id' ? r.id : r.created_at));
    const byId = await users(d, page.items.map((r) => r.user_id));
    return sendPage(reply, fields, { ...page, items: page.items.map((b) => s.build(a, b, byId.get(b.user_id) ?? unknownUser(b.user_id))) });
  });
  api.get<{ Params: Params & { id: string } }>('/apps/:app/builds/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const b = await d.db.selectFrom('builds').selectAll().where('app_id', '=', a.id).where('id', '=', req.params.id).executeTakeFirst();
    if (!b) throw notFound('build', "Couldn't find that build.");
    return s.build(a, b, (await users(d, [b.user_id])).get(b.user_id) ?? unknownUser(b.user_id));
  });
  api.get<{ Params: Params & { id: string } }>('/apps/:app/slugs/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const sl = await d.db.selectFrom('slugs').selectAll().where('app_id', '=', a.id).where('id', '=', req.params.id).executeTakeFirst();
    if (!sl) throw notFound('slug', "Couldn't find that slug.");
    return s.slug(a, sl);
  });
}
