// Builds (list, one, and the Builds API: POST with a source_blob tarball URL), slugs (create, then PUT
// the tarball to its blob URL), and the build cache (DELETE empties it, as builds:cache:purge does).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { fetchSource } from '../../build/source.ts';
import { now } from '../../store/index.ts';
import type { BuildsTable, SlugsTable } from '../../store/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import { paginate, parseRange } from '../range.ts';
import * as s from '../serialize.ts';
import { findApp, users, unknownUser } from './common.ts';
import { sendPage } from './releases.ts';
import { slugBlobUrl } from '../raw.ts';

type Params = { app: string };

export function buildRoutes(api: FastifyInstance, d: ApiDeps): void {
  const outputUrl = (id: string) => d.buildOutputs.url(d.publicUrl, id);

  api.get<{ Params: Params }>('/apps/:app/builds', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const rows = await d.db.selectFrom('builds').selectAll().where('app_id', '=', a.id).orderBy('created_at').execute();
    const fields = ['id', 'created_at'];
    const page = paginate(rows, parseRange(req.headers.range, fields, 'created_at'), (r, f) => (f === 'id' ? r.id : r.created_at));
    const byId = await users(d, page.items.map((r) => r.user_id));
    return sendPage(reply, fields, { ...page, items: await Promise.all(page.items.map(async (b) => s.build(a, b, byId.get(b.user_id) ?? unknownUser(b.user_id), await outputUrl(b.id)))) });
  });
  api.get<{ Params: Params & { id: string } }>('/apps/:app/builds/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const b = await d.db.selectFrom('builds').selectAll().where('app_id', '=', a.id).where('id', '=', req.params.id).executeTakeFirst();
    if (!b) throw notFound('build', "Couldn't find that build.");
    return s.build(a, b, (await users(d, [b.user_id])).get(b.user_id) ?? unknownUser(b.user_id), await outputUrl(b.id));
  });

  api.post<{ Params: Params }>('/apps/:app/builds', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { source_blob?: { url?: unknown; checksum?: unknown; version?: unknown; version_description?: unknown } };
    const src = body.source_blob;
    if (!src || typeof src !== 'object' || typeof src.url !== 'string' || !/^https?:\/\//.test(src.url)) {
      throw invalid('source_blob.url is required: an http(s) URL of a .tar.gz of the app source, e.g. {"source_blob": {"url": "https://.../app.tgz", "version": "v1.2"}}.');
    }
    if (src.checksum != null && (typeof src.checksum !== 'string' || !/^SHA256:[0-9a-f]{64}$/i.test(src.checksum))) {
      throw invalid('source_blob.checksum must look like "SHA256:<64 hex digits>".');
    }
    if (src.version != null && typeof src.version !== 'string') throw invalid('source_blob.version must be a string.');
    const url = src.url;
    const checksum = (src.checksum as string | undefined) ?? null;
    const version = (src.version as string | undefined) ?? null;
    const id = randomUUID();
    const user = req.account;
    const sourceBlob = { url, checksum, version_description: (src.version_description as string | undefined) ?? null };
    // Recorded now, so the answer is immediate even when the build waits behind a push in progress.
    const t = now();
    const b: BuildsTable = {
      id, app_id: a.id, user_id: user.id, status: 'pending', source_version: version, slug_id: null, release_id: null,
      stack: d.stack, buildpacks: null, source_blob: JSON.stringify(sourceBlob), created_at: t, updated_at: t,
    };
    await d.db.insertInto('builds').values(b).execute();
    await d.buildOutputs.open(id);
    const out = (text: string) => d.buildOutputs.write(id, text);
    void d.push.exclusive(a.id, async () => {
      const result = await d.builder.build({
        id, app: { id: a.id, name: a.name }, user, output: out, sourceBlob,
        commit: version ?? '', description: version ? `Deploy ${version}` : 'Deploy from a source tarball',
        checkout: async (dir) => {
          out(`-----> Fetching source from ${redact(url)}\n`);
          await fetchSource(url, dir, checksum ?? undefined);
        },
      });
      if (result.release?.pending) {
        out('Running release command...\n\n');
        await d.releaseOutputs.follow(result.release.id, out);
        const status = await d.releases.settled({ id: result.release.id });
        out(status === 'succeeded' ? 'Waiting for release.... done.\n' : 'Waiting for release.... failed.\n');
      }
    }).catch(async (err) => {
      console.error(`build ${id} of ${a.name} failed:`, err);
      out(` !     Build failed: platform error (${(err as Error).message}).\n`);
      await d.db.updateTable('builds').set({ status: 'failed', updated_at: now() }).where('id', '=', id).where('status', '=', 'pending').execute()
        .catch(() => undefined); // the database is closing: the next start fails pending builds
    }).finally(() => d.buildOutputs.close(id));
    reply.status(201);
    return s.build(a, b, user, await outputUrl(id));
  });

  api.delete<{ Params: Params }>('/apps/:app/build-cache', async (req) => {
    const a = await findApp(d, req.params.app);
    // Not while a build of the app uses the cache: it waits behind pushes and builds in progress.
    const freed = await d.push.exclusive(a.id, () => d.housekeeping.purgeCache(a.id));
    d.logs.emit(a.id, 'app', 'api', `Build cache purged by user ${req.account.email}`);
    return { freed_bytes: freed };
  });

  api.post<{ Params: Params }>('/apps/:app/slugs', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { process_types?: unknown; commit?: unknown; commit_description?: unknown; buildpack_provided_description?: unknown; stack?: unknown };
    const types = body.process_types;
    if (!types || typeof types !== 'object' || Array.isArray(types)) throw invalid('process_types is required: an object such as {"web": "node index.js"}.');
    for (const [k, v] of Object.entries(types)) {
      if (!/^[-\w]{1,128}$/.test(k)) throw invalid(`Process type ${JSON.stringify(k)} is invalid: use letters, digits, "-" and "_".`);
      if (typeof v !== 'string' || !v.trim()) throw invalid(`process_types.${k} must be a command string.`);
    }
    for (const f of ['commit', 'commit_description', 'buildpack_provided_description'] as const) {
      if (body[f] != null && typeof body[f] !== 'string') throw invalid(`${f} must be a string.`);
    }
    const stack = typeof body.stack === 'string' ? body.stack : (body.stack as { name?: string } | undefined)?.name;
    if (stack !== undefined && stack !== d.stack) throw invalid(`Stack ${stack} is not available; this platform runs ${d.stack}.`);
    const slug: SlugsTable = {
      id: randomUUID(), app_id: a.id, blob: '', size: 0, process_types: JSON.stringify(types), commit: (body.commit as string) ?? null,
      commit_description: (body.commit_description as string) ?? null, stack: d.stack,
      buildpack_provided_description: (body.buildpack_provided_description as string) ?? null, created_at: now(),
    };
    await d.db.insertInto('slugs').values(slug).execute();
    reply.status(201);
    return s.slug(a, slug, { method: 'PUT', url: slugBlobUrl(d, slug.id, 'PUT') });
  });
  api.get<{ Params: Params & { id: string } }>('/apps/:app/slugs/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const sl = await d.db.selectFrom('slugs').selectAll().where('app_id', '=', a.id).where('id', '=', req.params.id).executeTakeFirst();
    if (!sl) throw notFound('slug', "Couldn't find that slug.");
    return s.slug(a, sl, sl.blob ? { method: 'GET', url: d.blobs.has(sl.blob) ? slugBlobUrl(d, sl.id, 'GET') : null } : { method: 'PUT', url: slugBlobUrl(d, sl.id, 'PUT') });
  });
}

/** A URL as it may be printed: without credentials or query (presigned URLs carry secrets there). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the source URL';
  }
}
