// The Builds and slug routes' schemas: a request without a source URL or process types is refused before
// anything is recorded (the fakes hold no ledger methods, so reaching one fails the test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiDeps } from '../deps.ts';
import { apiWith, appRow, appsOf, call, fake } from '../test-helpers.ts';
import { buildRoutes } from './builds.ts';

const app = appRow('my-app');

function setup(slugs: Partial<Record<keyof ApiDeps['slugs'], unknown>> = {}) {
  const base = appsOf(app);
  const d = fake<ApiDeps>({
    apps: base.apps as unknown as ApiDeps['apps'], stack: 'slipway-12', publicUrl: 'http://localhost:5000',
    slugs: fake<ApiDeps['slugs']>(slugs, 'slugs'), cipher: fake<ApiDeps['cipher']>({ sign: () => 'sig' }, 'cipher'),
  }, 'deps');
  return apiWith((api) => buildRoutes(api, d));
}

test('builds:create without a source_blob URL is refused with the example users need', async () => {
  const api = await setup();
  for (const body of [{}, { source_blob: 'https://example.com/app.tgz' }, { source_blob: { version: 'v1' } }]) {
    const r = await call(api, 'POST', '/apps/my-app/builds', body);
    assert.equal(r.status, 422);
    assert.match(r.body.message, /^source_blob\.url is required: an http\(s\) URL/);
  }
  const sum = await call(api, 'POST', '/apps/my-app/builds', { source_blob: { url: 'https://example.com/a.tgz', checksum: 12 } });
  assert.deepEqual(sum.body, { id: 'invalid_params', message: 'source_blob.checksum must look like "SHA256:<64 hex digits>".' });
});

test('slugs:create needs process_types as an object of commands; a good one gets an upload URL', async () => {
  const created: unknown[] = [];
  const api = await setup({
    create: async (_a: string, s: { processTypes: unknown }) => {
      created.push(s.processTypes);
      return { id: 'f0000000-0000-4000-8000-000000000001', app_id: app.id, blob: '', size: 0, process_types: JSON.stringify(s.processTypes), commit: null, commit_description: null, stack: 'slipway-12', buildpack_provided_description: null, created_at: app.created_at };
    },
  });
  for (const process_types of [undefined, ['web'], { web: 5 }]) {
    const r = await call(api, 'POST', '/apps/my-app/slugs', { process_types });
    assert.match(r.body.message, /^process_types is required/, JSON.stringify(process_types));
  }
  const bad = await call(api, 'POST', '/apps/my-app/slugs', { process_types: { 'web server': 'x' } });
  assert.match(bad.body.message, /Process type "web server" is invalid/);
  const ok = await call(api, 'POST', '/apps/my-app/slugs', { process_types: { web: 'node index.js' }, stack: { name: 'slipway-12' } });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.blob.method, 'PUT');
  assert.match(ok.body.blob.url, /^http:\/\/localhost:5000\/slug-blobs\/f0000000-0000-4000-8000-000000000001\?expires=\d+&signature=sig$/);
  assert.deepEqual(created, [{ web: 'node index.js' }]);
});
