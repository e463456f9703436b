// What the formation, dyno and log-session routes' schemas accept and refuse (the handlers' own checks
// keep their messages), over fakes of the app lookup and log sessions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiDeps } from '../deps.ts';
import { apiWith, appRow, appsOf, call, fake, raw } from '../test-helpers.ts';
import { dynoRoutes } from './dynos.ts';

function setup() {
  const sessions: unknown[] = [];
  const d = fake<ApiDeps>({
    apps: appsOf(appRow('my-app')).apps as unknown as ApiDeps['apps'],
    publicUrl: 'http://localhost:5000',
    logSessions: { create: (_appId: string, o: unknown) => { sessions.push(o); return { id: '11111111-2222-4333-8444-555555555555' }; } },
    dynos: fake<ApiDeps['dynos']>({}, 'dynos'),
  }, 'deps');
  return { sessions, api: apiWith((api) => dynoRoutes(api, d)) };
}

test('log sessions take what each heroku CLI sends: dyno (also a process type), dyno_name, type, or no body', async () => {
  const { sessions, api } = setup();
  for (const body of [{ lines: 10, tail: true, dyno: 'web' }, { dyno_name: 'web.1' }, { type: 'worker', source: 'app' }, { lines: 100, tail: false }]) {
    const r = await call(await api, 'POST', '/apps/my-app/log-sessions', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.logplex_url, 'http://localhost:5000/sessions/11111111-2222-4333-8444-555555555555');
  }
  const none = await raw(await api, 'POST', '/apps/my-app/log-sessions', { authorization: 'Bearer test-key' });
  assert.equal(none.statusCode, 201);
  assert.deepEqual(sessions.map((s) => (s as { dyno?: string }).dyno), ['web', 'web.1', 'worker', undefined, undefined]);
  assert.deepEqual((sessions[4] as { lines: number }).lines, 100);
});

test('log sessions refuse a bad source, lines and tail with the messages users know', async () => {
  const { sessions, api } = setup();
  const source = await call(await api, 'POST', '/apps/my-app/log-sessions', { source: 'nope' });
  assert.deepEqual(source.body, { id: 'invalid_params', message: 'source must be "app" or "heroku".' });
  for (const lines of [1501, -1, 'many', 2.5, { n: 1 }]) {
    const r = await call(await api, 'POST', '/apps/my-app/log-sessions', { lines });
    assert.equal(r.status, 422, `lines ${JSON.stringify(lines)}`);
    assert.equal(r.body.message, 'lines must be a whole number from 0 to 1500.');
  }
  const tail = await call(await api, 'POST', '/apps/my-app/log-sessions', { tail: 'yes' });
  assert.deepEqual(tail.body, { id: 'invalid_params', message: 'tail must be true or false.' });
  assert.equal(sessions.length, 0);
});

test('one-off dynos: a missing command, a non-scalar env value and a non-boolean attach are refused before the dyno manager', async () => {
  const { api } = setup(); // the dynos fake has no methods: reaching it fails the test
  const none = await call(await api, 'POST', '/apps/my-app/dynos', { attach: true });
  assert.deepEqual(none.body, { id: 'invalid_params', message: 'command is required, e.g. {"command": "bash"}.' });
  const env = await call(await api, 'POST', '/apps/my-app/dynos', { command: 'bash', env: { COLUMNS: 80, TERM: 'xterm', X: { a: 1 } } });
  assert.deepEqual(env.body, { id: 'invalid_params', message: 'env must be an object of names to string values.' });
  const attach = await call(await api, 'POST', '/apps/my-app/dynos', { command: 'bash', attach: 'true' });
  assert.deepEqual(attach.body, { id: 'invalid_params', message: 'attach must be true or false.' });
  const blank = await call(await api, 'POST', '/apps/my-app/dynos', { command: '   ' }); // the handler's own check
  assert.deepEqual(blank.body, { id: 'invalid_params', message: 'command is required, e.g. {"command": "bash"}.' });
});

test('scaling refuses updates that are not a list of formation changes', async () => {
  const { api } = setup();
  for (const body of [{}, { updates: [] }, { updates: { type: 'web' } }]) {
    const r = await call(await api, 'PATCH', '/apps/my-app/formation', body);
    assert.deepEqual(r.body, { id: 'invalid_params', message: 'Expected {"updates": [{"type": "web", "quantity": 2, "size": "standard-1X"}]}.' });
  }
  const q = await call(await api, 'PATCH', '/apps/my-app/formation', { updates: [{ type: 'web', quantity: [2] }] });
  assert.deepEqual(q.body, { id: 'invalid_params', message: 'updates[0].quantity must be a number of dynos (or +N / -N).' });
  const resize = await call(await api, 'POST', '/apps/my-app/dynos/run.1/actions/resize', { columns: 80.5, lines: 24 });
  assert.deepEqual(resize.body, { id: 'invalid_params', message: 'columns and lines must be whole numbers.' });
});
