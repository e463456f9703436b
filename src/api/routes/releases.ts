// Releases of an app: list (Range-paged), one release, its config snapshot, and POST to release a slug
// (built here, uploaded, or promoted from another app) or to roll back to an earlier release.
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { ReleaseRow } from '../../releases/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { paginate, parseRange, type Page } from '../range.ts';
import { AppName, AppParams, Maybe, Ref, refOf } from '../schemas.ts';
import * as s from '../serialize.ts';

export type ReleaseRouteDeps = Pick<ApiDeps, 'apps' | 'accounts' | 'releases' | 'slugs' | 'releaseOutputs' | 'publicUrl'> & Partial<Pick<ApiDeps, 'access'>>;

export function sendPage<T>(reply: FastifyReply, fields: string[], page: Page<T>) {
  reply.header('Accept-Ranges', fields.join(', ')).header('Content-Range', page.contentRange).status(page.status);
  if (page.nextRange) reply.header('Next-Range', page.nextRange);
  return page.items;
}

const ReleaseParams = Type.Object({ app: AppName, release: Type.String({ description: 'release id or version (vN or N)' }) });
const CreateBody = Type.Object({
  slug: Type.Optional(Ref('slug must be a slug id, or {"id": "<slug id>"}.')),
  release: Type.Optional(Ref('release must be a release id or version, or {"id": "<release id>"}.')),
  description: Maybe(Type.String(), 'description must be a string.'),
}, { description: 'Either slug (release it) or release (roll back to it).' });

export function releaseRoutes(api: Api, d: ReleaseRouteDeps): void {
  const show = async (a: { id: string; name: string }, rows: ReleaseRow[]) => {
    const current = (await d.releases.current(a.id))?.id;
    const byId = await d.accounts.users(rows.map((r) => r.user_id));
    return Promise.all(rows.map(async (r) => s.release(a, r, byId.get(r.user_id)!, r.id === current, {
      outputStreamUrl: await d.releaseOutputs.url(d.publicUrl, r.id),
      eligibleForRollback: (await d.releases.rollbackProblem(r)) === undefined,
    })));
  };

  api.get('/apps/:app/releases', { schema: { summary: 'List releases (Range: version ..; max=N, order=desc)', params: AppParams } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const rows = await d.releases.list(a.id);
    const fields = ['id', 'version'];
    const page = paginate(rows, parseRange(req.headers.range, fields, 'version'), (r, f) => (f === 'version' ? r.version : r.id));
    return sendPage(reply, fields, { ...page, items: await show(a, page.items) });
  });

  const oneRelease = async (app: string, idOrVersion: string) => {
    const a = await d.apps.find(app);
    const r = await d.releases.find(a.id, idOrVersion);
    if (!r) throw notFound('release', `Couldn't find that release (${idOrVersion}).`);
    return { a, r };
  };
  api.get('/apps/:app/releases/:release', { schema: { params: ReleaseParams } }, async (req) => {
    const { a, r } = await oneRelease(req.params.app, req.params.release);
    return (await show(a, [r]))[0];
  });
  api.get('/apps/:app/releases/:release/config-vars', { schema: { params: ReleaseParams } }, async (req) => {
    const { r } = await oneRelease(req.params.app, req.params.release);
    return d.releases.config(r);
  });

  api.post('/apps/:app/releases', { schema: { summary: 'Release a slug, or roll back', params: AppParams, body: CreateBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const slugRef = refOf(req.body.slug);
    const releaseRef = refOf(req.body.release);
    if (!slugRef === !releaseRef) throw invalid('Pass either "slug" (a slug id, to release it) or "release" (a release id or version, to roll back to it).');
    let created: ReleaseRow;
    if (releaseRef) {
      const target = await d.releases.find(a.id, releaseRef);
      if (!target) throw notFound('release', `Couldn't find that release (${releaseRef}) of ${a.name}.`);
      created = await d.releases.rollback(a.id, req.account, target);
    } else {
      const slug = await d.slugs.releasable(a.id, slugRef!, (appId) => (d.access ? d.access.reaches(req.account, appId) : Promise.resolve(true)));
      created = await d.releases.create({
        appId: a.id, user: req.account, slugId: slug.id,
        description: req.body.description || `Deploy ${slug.commit ? slug.commit.slice(0, 7) : slug.id.slice(0, 8)}`,
      });
    }
    reply.status(201);
    return (await show(a, [created]))[0];
  });
}
