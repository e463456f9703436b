// Releases of an app: list (Range-paged), one release, its config snapshot, and POST to release a slug
// (built here, uploaded, or promoted from another app) or to roll back to an earlier release.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ReleaseError, type ReleaseRow } from '../../releases/index.ts';
import { now } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import { paginate, parseRange, type Page } from '../range.ts';
import * as s from '../serialize.ts';
import { findApp, users, unknownUser } from './common.ts';

type Params = { app: string };

export function sendPage<T>(reply: FastifyReply, fields: string[], page: Page<T>) {
  reply.header('Accept-Ranges', fields.join(', ')).header('Content-Range', page.contentRange).status(page.status);
  if (page.nextRange) reply.header('Next-Range', page.nextRange);
  return page.items;
}

/** `"<id>"` or `{"id": "<id>"}` (Heroku accepts both shapes for references). */
const refOf = (v: unknown): string | undefined =>
  typeof v === 'string' && v ? v : typeof (v as { id?: unknown })?.id === 'string' ? (v as { id: string }).id : undefined;

export function releaseRoutes(api: FastifyInstance, d: ApiDeps): void {
  const show = async (a: { id: string; name: string }, rows: ReleaseRow[]) => {
    const current = (await d.releases.current(a.id))?.id;
    const byId = await users(d, rows.map((r) => r.user_id));
    return Promise.all(rows.map(async (r) => s.release(a, r, byId.get(r.user_id) ?? unknownUser(r.user_id), r.id === current, {
      outputStreamUrl: await d.releaseOutputs.url(d.publicUrl, r.id),
      eligibleForRollback: (await d.releases.rollbackProblem(r)) === undefined,
    })));
  };

  api.get<{ Params: Params }>('/apps/:app/releases', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const rows = await d.releases.list(a.id);
    const fields = ['id', 'version'];
    const page = paginate(rows, parseRange(req.headers.range, fields, 'version'), (r, f) => (f === 'version' ? r.version : r.id));
    return sendPage(reply, fields, { ...page, items: await show(a, page.items) });
  });

  const oneRelease = async (app: string, idOrVersion: string) => {
    const a = await findApp(d, app);
    const r = await d.releases.find(a.id, idOrVersion);
    if (!r) throw notFound('release', `Couldn't find that release (${idOrVersion}).`);
    return { a, r };
  };
  api.get<{ Params: Params & { release: string } }>('/apps/:app/releases/:release', async (req) => {
    const { a, r } = await oneRelease(req.params.app, req.params.release);
    return (await show(a, [r]))[0];
  });
  api.get<{ Params: Params & { release: string } }>('/apps/:app/releases/:release/config-vars', async (req) => {
    const { r } = await oneRelease(req.params.app, req.params.release);
    return d.releases.config(r);
  });

  api.post<{ Params: Params }>('/apps/:app/releases', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { slug?: unknown; release?: unknown; description?: unknown };
    const slugRef = refOf(body.slug);
    const releaseRef = refOf(body.release);
    if (!slugRef === !releaseRef) throw invalid('Pass either "slug" (a slug id, to release it) or "release" (a release id or version, to roll back to it).');
    if (body.description !== undefined && typeof body.description !== 'string') throw invalid('description must be a string.');
    let created: ReleaseRow;
    try {
      if (releaseRef) {
        const target = await d.releases.find(a.id, releaseRef);
        if (!target) throw notFound('release', `Couldn't find that release (${releaseRef}) of ${a.name}.`);
        created = await d.releases.rollback(a.id, req.account, target);
      } else {
        const slug = await releasableSlug(d, a.id, slugRef!);
        created = await d.releases.create({
          appId: a.id, user: req.account, slugId: slug.id,
          description: (body.description as string | undefined) || `Deploy ${slug.commit ? slug.commit.slice(0, 7) : slug.id.slice(0, 8)}`,
        });
      }
    } catch (err) {
      if (err instanceof ReleaseError) throw invalid(err.message);
      throw err;
    }
    reply.status(201);
    return (await show(a, [created]))[0];
  });
}

/**
 * A slug this app may release: its own, or another app's (promotion), which gets a row of its own here
 * pointing at the same blob (blobs are content-addressed, so nothing is copied).
 */
async function releasableSlug(d: ApiDeps, appId: string, id: string) {
  const slug = await d.db.selectFrom('slugs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!slug) throw notFound('slug', `Couldn't find that slug (${id}).`);
  if (!slug.blob) throw invalid(`Slug ${id} has no tarball yet: PUT it to the slug's blob.url first.`);
  if (!d.blobs.has(slug.blob)) throw invalid(`Slug ${id}'s tarball is no longer stored (removed by housekeeping); build it again.`);
  if (slug.app_id === appId) return slug;
  const copy = { ...slug, id: randomUUID(), app_id: appId, created_at: now() };
  await d.db.insertInto('slugs').values(copy).execute();
  return copy;
}
