// The apps routes over fakes of the apps component: what they pass on, what their schemas refuse, and the
// bodies the official CLI sends (extra keys, none at all) still accepted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Accounts } from '../../accounts/index.ts';
import type { Apps } from '../../apps/index.ts';
import type { BuildpackInstallations } from '../../build/installations.ts';
import { invalid } from '../../errors.ts';
import { apiWith, appRow, appsOf, call, fake, raw, USER } from '../test-helpers.ts';
import { appRoutes, type AppRouteDeps } from './apps.ts';

function setup(o: Partial<Record<keyof Apps, unknown>> = {}, buildpacks: Partial<Record<keyof BuildpackInstallations, unknown>> = {}) {
  const row = appRow('my-app');
  const base = appsOf(row);
  const calls: unknown[][] = [];
  const d: AppRouteDeps = {
    apps: fake<Apps>({ ...base.apps, ...o }, 'apps'),
    accounts: fake<Pick<Accounts, 'users' | 'authenticate'>>(base.accounts, 'accounts'),
    buildpacks: fake<BuildpackInstallations>(buildpacks, 'buildpacks'),
    publicUrl: 'http://localhost:5000', domain: 'localhost', routerPort: 8080,
  };
  return { row, calls, d, api: apiWith((api) => appRoutes(api, d)) };
}

test('POST /apps takes the keys the heroku CLI sends beyond the schema, and no body at all', async () => {
  const seen: unknown[] = [];
  const { row, api } = setup({ create: async (owner: unknown, o: unknown) => { seen.push([owner, o]); return row; } });
  const extra = await call(await api, 'POST', '/apps', { name: 'my-app', region: 'us', kernel: 'cedar', locked: false, internal_routing: null, team: null, space: null, feature_flags: [] });
  assert.equal(extra.status, 201);
  assert.equal(extra.body.name, 'my-app');
  assert.equal(extra.body.web_url, 'http://my-app.localhost:8080/');
  assert.deepEqual(seen[0], [USER, { name: 'my-app', stack: undefined }]);
  const bare = await raw(await api, 'POST', '/apps', { authorization: 'Bearer test-key' });
  assert.equal(bare.statusCode, 201);
  assert.deepEqual(seen[1], [USER, { name: undefined, stack: undefined }]);
  const empty = await call(await api, 'POST', '/apps', '');
  assert.equal(empty.status, 201);
});

test('POST /apps refuses a name that is not a string, and a body that is not an object, with invalid_params', async () => {
  const { api } = setup({ create: async () => assert.fail('nothing may be created') });
  const number = await call(await api, 'POST', '/apps', { name: 123 });
  assert.equal(number.status, 422);
  assert.deepEqual(number.body, { id: 'invalid_params', message: 'Name must be a string.' });
  const list = await call(await api, 'POST', '/apps', ['my-app']);
  assert.equal(list.status, 422);
  assert.equal(list.body.id, 'invalid_params');
  assert.match(list.body.message, /request body must be object/);
});

test('the component\'s own refusals reach the user as they are (one error type, one handler)', async () => {
  const { api } = setup({ create: async () => { throw invalid('Name my-app is already taken.'); } });
  const r = await call(await api, 'POST', '/apps', { name: 'my-app' });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body, { id: 'invalid_params', message: 'Name my-app is already taken.' });
  const missing = await call(await api, 'GET', '/apps/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
});

test('PATCH /apps/:app passes a rename and maintenance on, and refuses a maintenance that is not a boolean', async () => {
  const seen: unknown[] = [];
  const { row, api } = setup({ update: async (_a: unknown, o: unknown) => { seen.push(o); return { ...row, maintenance: 1 }; } });
  const on = await call(await api, 'PATCH', '/apps/my-app', { maintenance: true });
  assert.equal(on.status, 200);
  assert.equal(on.body.maintenance, true);
  // Who asked goes along: app webhooks' `api:app` events name the actor.
  assert.deepEqual(seen, [{ name: undefined, maintenance: true, user: { id: '00000000-0000-4000-8000-000000000001', email: 'dev@example.com' } }]);
  const text = await call(await api, 'PATCH', '/apps/my-app', { maintenance: 'true' });
  assert.deepEqual(text.body, { id: 'invalid_params', message: 'maintenance must be true or false.' });
  assert.equal(seen.length, 1);
});

test('DELETE /apps/:app with the CLI\'s body or none destroys the app as the caller', async () => {
  const destroyed: unknown[] = [];
  const { row, api } = setup({ destroy: async (a: { name: string }, user: unknown) => { destroyed.push([a.name, user]); } });
  assert.equal((await call(await api, 'DELETE', '/apps/my-app', { force: true })).status, 200);
  const none = await raw(await api, 'DELETE', `/apps/${row.id}`, { authorization: 'Bearer test-key' });
  assert.equal(none.statusCode, 200);
  assert.equal(JSON.parse(none.body).name, 'my-app');
  assert.deepEqual(destroyed, [['my-app', USER], ['my-app', USER]]);
});

test('PUT buildpack-installations hands the URLs over in order, and refuses updates of the wrong shape', async () => {
  const { api } = setup({}, { set: async (_id: string, urls: string[]) => urls.map((url, i) => ({ ordinal: i, url, name: url })) });
  const ok = await call(await api, 'PUT', '/apps/my-app/buildpack-installations', { updates: [{ buildpack: 'heroku/nodejs' }, { buildpack: 'https://example.com/bp.git' }] }, { range: '' });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.map((b: { buildpack: { url: string } }) => b.buildpack.url), ['heroku/nodejs', 'https://example.com/bp.git']);
  const notList = await call(await api, 'PUT', '/apps/my-app/buildpack-installations', { updates: 'heroku/nodejs' });
  assert.deepEqual(notList.body, { id: 'invalid_params', message: 'Expected {"updates": [{"buildpack": "<url or name>"}, ...]}.' });
  const number = await call(await api, 'PUT', '/apps/my-app/buildpack-installations', { updates: [{ buildpack: 'heroku/nodejs' }, { buildpack: 7 }] });
  assert.deepEqual(number.body, { id: 'invalid_params', message: 'updates[1].buildpack must be a buildpack URL or name.' });
  const missing = await call(await api, 'PUT', '/apps/my-app/buildpack-installations', { updates: [{ url: 'heroku/nodejs' }] });
  assert.deepEqual(missing.body, { id: 'invalid_params', message: 'updates[0].buildpack must be a buildpack URL or name.' });
});

test('every route asks for the key; a wrong one gets Heroku\'s unauthorized body; bad JSON is a bad request', async () => {
  const { api } = setup();
  const r = await raw(await api, 'GET', '/apps/my-app', { authorization: 'Bearer wrong' });
  assert.equal(r.statusCode, 401);
  assert.equal(JSON.parse(r.body).id, 'unauthorized');
  const bad = await call(await api, 'PATCH', '/apps/my-app', '{"maintenance": tru');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body, { id: 'bad_request', message: 'Request body is not valid JSON.' });
});

test('GET /openapi.json describes the routes from their schemas, without a key', async () => {
  const { api } = setup();
  const r = await raw(await api, 'GET', '/openapi.json');
  assert.equal(r.statusCode, 200);
  const doc = JSON.parse(r.body);
  assert.match(doc.openapi, /^3\./);
  const patch = doc.paths['/apps/{app}'].patch;
  assert.equal(patch.requestBody.content['application/json'].schema.properties.maintenance.type, 'boolean');
  assert.deepEqual(patch.parameters.map((p: { name: string; in: string }) => [p.in, p.name]), [['path', 'app']]);
});
