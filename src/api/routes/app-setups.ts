// App Setups: POST /app-setups (an app made from a source tarball and its app.json) and GET /app-setups/{id}.
import { Type } from 'typebox';
import type { AppSetupRow } from '../../appsetups/index.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { IdParams, Maybe, said } from '../schemas.ts';

export type AppSetupRouteDeps = Pick<ApiDeps, 'appSetups' | 'builds' | 'buildOutputs' | 'publicUrl'>;

const SOURCE_TEXT = 'source_blob.url is required: an http(s) URL of a .tar.gz of the app source with its app.json, e.g. {"source_blob": {"url": "https://.../app.tgz"}}.';
const CreateBody = Type.Object({
  app: Maybe(Type.Object({
    name: Maybe(Type.String(), 'app.name must be a string.'),
    stack: Maybe(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()) })]), 'app.stack must be a stack name.'),
  }), 'app must be an object such as {"name": "my-app"}.'),
  source_blob: Type.Object({
    url: Type.String({ maxLength: 4096, ...said(SOURCE_TEXT) }),
    checksum: Maybe(Type.String(), 'source_blob.checksum must look like "SHA256:<64 hex digits>".'),
    version: Maybe(Type.String({ maxLength: 200 }), 'source_blob.version must be a string.'),
  }, said(SOURCE_TEXT)),
  overrides: Maybe(Type.Object({
    env: Maybe(Type.Record(Type.String(), Type.String({ maxLength: 32 * 1024 })), 'overrides.env must be an object of strings, e.g. {"API_KEY": "..."}.'),
    buildpacks: Maybe(Type.Array(Type.Object({ url: Type.String({ minLength: 1 }) }), { maxItems: 20 }), 'overrides.buildpacks must be a list such as [{"url": "heroku/nodejs"}].'),
  }), 'overrides must be an object such as {"env": {"KEY": "value"}}.'),
}, said(SOURCE_TEXT));

export function appSetupRoutes(api: Api, d: AppSetupRouteDeps): void {
  const show = async (row: AppSetupRow) => {
    let build = null;
    if (row.build_id) {
      const b = await d.builds.find(row.app_id, row.build_id).catch(() => undefined);
      build = { id: row.build_id, status: b?.status ?? (row.status === 'pending' ? 'pending' : 'failed'), output_stream_url: b ? await d.buildOutputs.url(d.publicUrl, b.id) : null };
    }
    return {
      id: row.id, created_at: iso(row.created_at), updated_at: iso(row.updated_at), status: row.status, failure_message: row.failure_message,
      app: { id: row.app_id, name: row.app_name }, build, manifest_errors: JSON.parse(row.manifest_errors) as string[],
      postdeploy: row.postdeploy_exit_code === null ? null : { output: row.postdeploy_output ?? '', exit_code: row.postdeploy_exit_code },
      resolved_success_url: row.resolved_success_url,
    };
  };

  api.post('/app-setups', { config: { ownAccessCheck: true }, schema: { summary: 'Set up an app from a source tarball and its app.json', body: CreateBody } }, async (req, reply) => {
    const b = req.body;
    if (!/^https?:\/\//i.test(b.source_blob.url)) throw invalid(SOURCE_TEXT);
    if (b.source_blob.checksum != null && !/^SHA256:[0-9a-f]{64}$/i.test(b.source_blob.checksum)) throw invalid('source_blob.checksum must look like "SHA256:<64 hex digits>".');
    const { setup } = await d.appSetups.create(req.account, {
      app: b.app ?? undefined, sourceUrl: b.source_blob.url, checksum: b.source_blob.checksum, version: b.source_blob.version,
      overrides: { env: b.overrides?.env ?? undefined, buildpacks: b.overrides?.buildpacks?.map((p) => p.url) },
    });
    reply.status(202);
    return show(setup);
  });

  api.get('/app-setups/:id', { config: { ownAccessCheck: true }, schema: { params: IdParams } }, async (req) => {
    const row = await d.appSetups.find(req.params.id);
    // A setup is its creator's to read (its failure message and postdeploy output may say much).
    if (row.user_id !== req.account.id) throw notFound('app-setup', "Couldn't find that app setup.");
    return show(row);
  });
}
