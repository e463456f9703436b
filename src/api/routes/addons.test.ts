// The add-on routes over a fake add-on component: the CLI's shapes accepted (`{force}` on DELETE, a plan
// as a string or {name}), the schemas' refusals, and the component's own errors answered as they are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddonError, type AddonRow, type Addons } from '../../addons/index.ts';
import type { ApiDeps } from '../deps.ts';
import { apiWith, appRow, appsOf, call, fake, USER } from '../test-helpers.ts';
import { addonRoutes } from './addons.ts';

const app = appRow('my-app');
const row: AddonRow = {
  id: 'ad000000-0000-4000-8000-000000000001', name: 'postgresql-shiny-12345', app_id: app.id, service: 'heroku-postgresql', plan: 'essential-0',
  state: 'provisioned', config: '{"URL":"postgres://u:p@localhost/d"}', resource: '{}', created_at: '2026-12-01T10:00:00.000Z', updated_at: '2026-12-01T10:00:00.000Z',
};

function setup(o: Partial<Record<keyof Addons, unknown>>) {
  const addons = fake<Addons>({
    serviceOf: () => ({ service: { name: 'heroku-postgresql', humanName: 'Heroku Postgres', plans: [] }, plan: { name: 'essential-0', humanName: 'Essential 0', cents: 500 } }),
    attachments: async () => [{ id: 'at', addon_id: row.id, app_id: app.id, name: 'DATABASE', namespace: null, created_at: row.created_at, updated_at: row.updated_at }],
    get: async () => row,
    ...o,
  }, 'addons');
  const d = { apps: appsOf(app).apps as unknown as ApiDeps['apps'], addons };
  return apiWith((api) => addonRoutes(api, d));
}

test('addons:destroy sends {force: false} on DELETE: accepted and passed on; a force that is not a boolean is refused', async () => {
  const destroyed: unknown[] = [];
  const api = await setup({ destroy: async (_a: unknown, user: unknown, force: boolean) => { destroyed.push([user, force]); } });
  const r = await call(api, 'DELETE', `/apps/${app.id}/addons/${row.id}`, { force: false }, { 'accept-expansion': 'plan' });
  assert.equal(r.status, 200);
  assert.equal(r.body.state, 'deprovisioned');
  assert.deepEqual(r.body.config_vars, []);
  assert.equal((await call(api, 'DELETE', `/apps/my-app/addons/${row.id}`, { force: true })).status, 200);
  assert.deepEqual(destroyed, [[USER, false], [USER, true]]);
  const bad = await call(api, 'DELETE', `/apps/my-app/addons/${row.id}`, { force: 'yes' });
  assert.deepEqual(bad.body, { id: 'invalid_params', message: 'force must be true or false.' });
  assert.equal(destroyed.length, 2);
});

test('addons:create takes the plan as {name} or a string with the CLI\'s config and attachment keys; no plan is refused', async () => {
  const created: unknown[] = [];
  const api = await setup({ create: async (o: { plan: string; attachment?: string; name?: string }) => { created.push([o.plan, o.attachment, o.name]); return row; } });
  const r = await call(api, 'POST', '/apps/my-app/addons', { plan: { name: 'heroku-postgresql:essential-0' }, attachment: { name: 'DB' }, config: { fork: 'x' } });
  assert.equal(r.status, 201);
  assert.equal(r.body.provision_message, 'Database has been created and is available');
  assert.deepEqual(r.body.config_vars, ['DATABASE_URL']);
  assert.equal((await call(api, 'POST', '/apps/my-app/addons', { plan: 'heroku-postgresql', name: null, attachment: {} })).status, 201);
  assert.deepEqual(created, [['heroku-postgresql:essential-0', 'DB', undefined], ['heroku-postgresql', undefined, undefined]]);
  for (const body of [{}, { plan: 5 }, { plan: { id: 'x' } }, { plan: '' }]) {
    const bad = await call(api, 'POST', '/apps/my-app/addons', body);
    assert.deepEqual(bad.body, { id: 'invalid_params', message: 'plan is required: e.g. {"plan": "heroku-postgresql:essential-0"}.' }, JSON.stringify(body));
  }
  const name = await call(api, 'POST', '/apps/my-app/addons', { plan: 'heroku-redis', attachment: { name: 7 } });
  assert.deepEqual(name.body, { id: 'invalid_params', message: 'attachment.name must be a string.' });
  assert.equal(created.length, 2);
});

test('the add-on component\'s refusals keep their status and id (confirmation_required makes the CLI ask)', async () => {
  const api = await setup({ create: async () => { throw new AddonError(409, 'confirmation_required', 'DATABASE is already an attachment on my-app; confirm with the app name (my-app) to replace it.'); } });
  const r = await call(api, 'POST', '/apps/my-app/addons', { plan: 'heroku-postgresql' });
  assert.equal(r.status, 409);
  assert.equal(r.body.id, 'confirmation_required');
});

test('resolve takes app::name and refuses a missing addon', async () => {
  const found: unknown[] = [];
  const api = await setup({ find: async (name: string, appId?: string) => { found.push([name, appId]); return row; } });
  const r = await call(api, 'POST', '/actions/addons/resolve', { addon: 'my-app::DATABASE', app: null });
  assert.equal(r.status, 200);
  assert.equal(r.body[0].name, row.name);
  assert.deepEqual(found, [['DATABASE', app.id]]);
  const bad = await call(api, 'POST', '/actions/addons/resolve', { app: 'my-app' });
  assert.deepEqual(bad.body, { id: 'invalid_params', message: 'addon is required: an add-on name, id or attachment name.' });
});
