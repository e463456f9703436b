// The API's own description: every route the server registers is in GET /openapi.json, with the bodies
// its schemas accept, and the document asks for no key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiDeps } from './deps.ts';
import { registerRoutes } from './server.ts';
import { apiWith, fake } from './test-helpers.ts';

test('GET /openapi.json lists every route with its parameters and request body', async () => {
  const routes: string[] = [];
  const api = await apiWith((a) => {
    a.addHook('onRoute', (r) => { if (!r.schema?.hide) for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`); });
    registerRoutes(a, fake<ApiDeps>({ addons: fake<ApiDeps['addons']>({}, 'addons') }, 'deps'));
  });
  const res = await api.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
  const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
  assert.ok(routes.length > 80, `${routes.length} routes`);
  assert.deepEqual(described.sort(), routes.sort());
  const run = doc.paths['/apps/{app}/dynos']!.post!.requestBody!.content['application/json']!.schema;
  assert.deepEqual(Object.keys(run.properties!).sort(), ['attach', 'command', 'env', 'force_no_tty', 'size', 'type']);
});
