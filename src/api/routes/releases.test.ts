// Releases and config vars over fakes of the release ledger: the schemas' refusals, and the ledger's own
// rules (config var names and values) still giving their messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReleaseRow, Releases } from '../../releases/index.ts';
import type { ApiDeps } from '../deps.ts';
import { apiWith, appRow, appsOf, call, fake, USER } from '../test-helpers.ts';
import { configVarRoutes } from './config-vars.ts';
import { releaseRoutes } from './releases.ts';

const app = appRow('my-app');
const v = (version: number): ReleaseRow => ({
  id: `e0000000-0000-4000-8000-00000000000${version}`, app_id: app.id, version, slug_id: null, config: '{}', description: `v${version}`,
  status: 'succeeded', user_id: USER.id, formation: null, created_at: '2026-12-01T10:00:00.000Z', updated_at: '2026-12-01T10:00:00.000Z',
});

function setup(o: Partial<Record<keyof Releases, unknown>>) {
  const base = appsOf(app);
  const d = fake<ApiDeps>({
    apps: base.apps as unknown as ApiDeps['apps'], accounts: base.accounts as unknown as ApiDeps['accounts'],
    releases: fake<Releases>({ current: async () => v(2), rollbackProblem: async () => undefined, list: async () => [v(1), v(2)], ...o }, 'releases'),
    slugs: fake<ApiDeps['slugs']>({}, 'slugs'), releaseOutputs: fake<ApiDeps['releaseOutputs']>({ url: async () => null }, 'outputs'), publicUrl: 'http://localhost:5000',
  }, 'deps');
  return apiWith((api) => { releaseRoutes(api, d); configVarRoutes(api, d); });
}

test('config:set passes the change on; a body that is not an object, and bad names or values, are refused with their rule', async () => {
  const set: unknown[] = [];
  const api = await setup({ setConfig: async (_id: string, _u: unknown, changes: unknown) => { set.push(changes); }, configVars: async () => ({ A: '1' }) });
  const ok = await call(api, 'PATCH', '/apps/my-app/config-vars', { A: '1', B: null });
  assert.equal(ok.status, 200);
  assert.deepEqual(set, [{ A: '1', B: null }]);
  const list = await call(api, 'PATCH', '/apps/my-app/config-vars', ['A=1']);
  assert.deepEqual(list.body, { id: 'invalid_params', message: 'Expected a JSON object of config vars, e.g. {"KEY": "value"} (null removes a key).' });
  const number = await call(api, 'PATCH', '/apps/my-app/config-vars', { PORT: 5000 });
  assert.deepEqual(number.body, { id: 'invalid_params', message: 'Config var PORT must be a string (or null to remove it), got number.' });
  const dash = await call(api, 'PATCH', '/apps/my-app/config-vars', { 'MY-VAR': 'x' });
  assert.match(dash.body.message, /Config var name "MY-VAR" is invalid/);
  assert.equal(set.length, 1);
});

test('releases list newest first with a Range; an unparsable Range is 416 with Heroku\'s id', async () => {
  const api = await setup({});
  const r = await call(api, 'GET', '/apps/my-app/releases', undefined, { range: 'version ..; max=1, order=desc' });
  assert.equal(r.status, 206);
  assert.deepEqual(r.body.map((x: { version: number; current: boolean }) => [x.version, x.current]), [[2, true]]);
  assert.equal(r.body[0].created_at, '2026-12-01T10:00:00Z');
  const bad = await call(api, 'GET', '/apps/my-app/releases', undefined, { range: 'name ..' });
  assert.equal(bad.status, 416);
  assert.equal(bad.body.id, 'requested_range_not_satisfiable');
});

test('POST releases needs exactly one of slug and release, each an id or {id}', async () => {
  const rolled: unknown[] = [];
  const api = await setup({ find: async (_a: string, ref: string) => (ref === 'v1' ? v(1) : undefined), rollback: async (_a: string, _u: unknown, t: ReleaseRow) => { rolled.push(t.version); return v(3); } });
  const ok = await call(api, 'POST', '/apps/my-app/releases', { release: 'v1' });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.version, 3);
  assert.deepEqual(rolled, [1]);
  const neither = await call(api, 'POST', '/apps/my-app/releases', {});
  assert.match(neither.body.message, /^Pass either "slug"/);
  const number = await call(api, 'POST', '/apps/my-app/releases', { slug: 5 });
  assert.deepEqual(number.body, { id: 'invalid_params', message: 'slug must be a slug id, or {"id": "<slug id>"}.' });
  const desc = await call(api, 'POST', '/apps/my-app/releases', { release: 'v1', description: 7 });
  assert.deepEqual(desc.body, { id: 'invalid_params', message: 'description must be a string.' });
  assert.deepEqual(rolled, [1]);
});
