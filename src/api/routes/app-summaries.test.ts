// GET /app-summaries over fakes: only the apps the access check lets the caller see, each with its
// formation, the release its dynos run and its formation dynos (not one-offs) counted by state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiWith, appRow, appsOf, call, fake, USER } from '../test-helpers.ts';
import { type AppSummaryDeps, appSummaryRoutes } from './app-summaries.ts';

test('GET /app-summaries: the caller\'s apps only, each with formation, current release and dyno states', async () => {
  const mine = appRow('mine', { maintenance: 1 });
  const theirs = appRow('not-mine');
  const base = appsOf(mine, theirs);
  const seen: string[][] = [];
  const dyno = (type: string, state: string) => ({ state, spec: { type } });
  const d = {
    ...base,
    apps: fake<AppSummaryDeps['apps']>({ ...base.apps, list: async () => [mine, theirs] }, 'apps'),
    access: fake<AppSummaryDeps['access']>({
      visible: async (accountId: string, apps: { id: string; name: string }[]) => { seen.push([accountId, ...apps.map((a) => a.name)]); return apps.filter((a) => a.id === mine.id); },
    }, 'access'),
    releases: fake<AppSummaryDeps['releases']>({
      current: async (appId: string) => (appId === mine.id ? { id: 'r3', version: 3, description: 'Deploy abc', user_id: USER.id, created_at: '2026-12-01T11:00:00.000Z' } : assert.fail('not asked')),
    }, 'releases'),
    dynos: {
      formation: { list: async () => [{ type: 'web', quantity: 2, size: 'standard-1x' }, { type: 'worker', quantity: 0, size: null }] },
      dynos: () => [dyno('web', 'up'), dyno('web', 'crashed'), dyno('run', 'up')],
    },
    publicUrl: 'http://localhost:5000', domain: 'localhost', routerPort: 8080,
  } as unknown as AppSummaryDeps;
  const api = await apiWith((a) => appSummaryRoutes(a, d));
  const r = await call(api, 'GET', '/app-summaries');
  assert.equal(r.status, 200);
  assert.deepEqual(seen, [[USER.id, 'mine', 'not-mine']], 'the access check decides who sees what');
  assert.equal(r.body.length, 1);
  const [s] = r.body;
  assert.equal(s.name, 'mine');
  assert.equal(s.maintenance, true);
  assert.equal(s.owner.email, USER.email);
  assert.deepEqual(s.formation, [{ type: 'web', quantity: 2, size: 'Standard-1X' }, { type: 'worker', quantity: 0, size: 'Standard-1X' }]);
  assert.deepEqual(s.current_release, { id: 'r3', version: 3, description: 'Deploy abc', created_at: '2026-12-01T11:00:00Z', user: { id: USER.id, email: USER.email } });
  assert.deepEqual(s.dynos, { up: 1, crashed: 1 }, 'the one-off run dyno is not counted');
});
