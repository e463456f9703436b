
import { Type } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import { invalid } from '../errors.ts';
import type { Api } from '../http.ts';
import { paginate, parseRange } from '../range.ts';
import { AnyBody, AppName, AppParams, Maybe, said } from '../schemas.ts';
import * as s from '../serialize.ts';
import { findApp } from './common.ts';
import { sendPage } from './releases.ts';
import { slugBlobUrl } from '../raw.ts';

const OneParams = Type.Object({ app: AppName, id: Type.String() });
const SOURCE_TEXT = 'source_blob.url is required: an http(s) URL of a .tar.gz of the app source, e.g. {"source_blob": {"url": "https://.../app.tgz", "version": "v1.2"}}.';
const BuildBody = Type.Object({
  source_blob: Type.Object({
    url: Type.String(said(SOURCE_TEXT)),
    checksum: Maybe(Type.String(), 'source_blob.checksum must look like "SHA256:<64 hex digits>".'),
    version: Maybe(Type.String(), 'source_blob.version must be a string.'),
    version_description: Maybe(Type.String(), 'source_blob.version_description must be a string.'),
  }, said(SOURCE_TEXT)),
}, said(SOURCE_TEXT));
const STRING_OR_NULL = (f: string) => Maybe(Type.String(), `${f} must be a string.`);
const SlugBody = Type.Object({
  process_types: Type.Record(Type.String(), Type.String(), said('process_types is required: an object such as {"web": "node index.js"}, each value a command string.')),
  commit: STRING_OR_NULL('commit'),
  commit_description: STRING_OR_NULL('commit_description'),
  buildpack_provided_description: STRING_OR_NULL('buildpack_provided_description'),
  stack: Maybe(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()) })]), 'stack must be a stack name.'),
});

export function buildRoutes(api: Api, d: ApiDeps): void {
  const outputUrl = (id: string) => d.buildOutputs.url(d.publicUrl, id);

  api.get('/apps/:app/builds', { schema: { summary: 'List builds (Range: created_at ..)', params: AppParams } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const rows = await d.builds.list(a.id);
    const fields = ['id', 'created_at'];
    const page = paginate(rows, parseRange(req.headers.range, fields, 'created_at'), (r, f) => (f === 'id' ? r.id : r.created_at));
    const byId = await d.accounts.users(page.items.map((r) => r.user_id));
    return sendPage(reply, fields, { ...page, items: await Promise.all(page.items.map(async (b) => s.build(a, b, byId.get(b.user_id)!, await outputUrl(b.id)))) });
  });
  api.get('/apps/:app/builds/:id', { schema: { params: OneParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const b = await d.builds.find(a.id, req.params.id);
    return s.build(a, b, (await d.accounts.users([b.user_id])).get(b.user_id)!, await outputUrl(b.id));
  });

  api.post('/apps/:app/builds', { schema: { summary: 'Build from a source tarball URL', params: AppParams, body: BuildBody } }, async (req, reply) => {
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
    const source = {
      url: src.url, checksum: (src.checksum as string | undefined) ?? null, version: (src.version as string | undefined) ?? null,
      version_description: (src.version_description as string | undefined) ?? null,
    };
    const b = await d.deployer.buildFromSource({ app: { id: a.id, name: a.name }, user: req.account, source });
    reply.status(201);
    return s.build(a, b, req.account, await outputUrl(b.id));
  });

  api.delete('/apps/:app/build-cache', { schema: { summary: 'Empty the build cache', params: AppParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    // Not while a build of the app uses the cache: it waits behind pushes and builds in progress.
    const freed = await d.deployer.queue.exclusive(a.id, () => d.housekeeping.purgeCache(a.id));
    d.logs.emit(a.id, 'app', 'api', `Build cache purged by user ${req.account.email}`);
    return { freed_bytes: freed };
  });

  api.post('/apps/:app/slugs', { schema: { summary: 'Create a slug, then PUT its tarball to blob.url', params: AppParams, body: SlugBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const body = req.body;
    for (const [k, v] of Object.entries(body.process_types)) {
      if (!/^[-\w]{1,128}$/.test(k)) throw invalid(`Process type ${JSON.stringify(k)} is invalid: use letters, digits, "-" and "_".`);
      if (!v.trim()) throw invalid(`process_types.${k} must be a command string.`);
    }
    const stack = typeof body.stack === 'string' ? body.stack : body.stack?.name;
    if (stack !== undefined && stack !== d.stack) throw invalid(`Stack ${stack} is not available; this platform runs ${d.stack}.`);
    const slug = await d.slugs.create(a.id, {
      processTypes: body.process_types, commit: body.commit, commitDescription: body.commit_description,
      buildpackProvidedDescription: body.buildpack_provided_description,
    });
    reply.status(201);
    return s.slug(a, slug, { method: 'PUT', url: slugBlobUrl(d, slug.id, 'PUT') });
  });
  api.get('/apps/:app/slugs/:id', { schema: { params: OneParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const sl = await d.slugs.find(a.id, req.params.id);
    return s.slug(a, sl, sl.blob ? { method: 'GET', url: d.slugs.stored(sl) ? slugBlobUrl(d, sl.id, 'GET') : null } : { method: 'PUT', url: slugBlobUrl(d, sl.id, 'PUT') });
  });
}
