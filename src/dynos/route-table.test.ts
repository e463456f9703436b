// The router's view of the dynos: Host → app by default name, custom domain and wildcard; which dynos
// serve (up, not leaving, the old ones during a preboot); H10/H14 facts; a lookup waking an idle app.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lookupHost } from '../router/hosts.ts';
import { newAppEntry, type AppEntry } from './app-entry.ts';
import type { Dyno } from './dyno.ts';
import { DynoRouteTable } from './route-table.ts';

/** Only what the route table reads of a dyno. */
const dyno = (name: string, state: Dyno['state'], address = '10.213.0.2', port = 5000, o: { leaving?: boolean } = {}) =>
  ({ name, state, address, leavingRoutes: o.leaving ?? false, spec: { type: name.split('.')[0], oneOff: false, port } }) as unknown as Dyno;

function setup() {
  const apps = new Map<string, AppEntry>();
  const serving = new Map<string, Dyno[]>();
  const woken: string[] = [];
  const table = new DynoRouteTable({
    app: (id) => apps.get(id), apps: () => apps.values(), serving: (id) => serving.get(id),
    unidle: (app, d) => woken.push(`${app.name}/${d.name}`),
  }, 'localhost', lookupHost);
  const add = (id: string, name: string, dynos: Dyno[] = []) => {
    const app = newAppEntry(id, name);
    for (const d of dynos) app.dynos.set(d.name, d);
    apps.set(id, app);
    table.named(app);
    return app;
  };
  return { table, add, serving, woken };
}

test('Host → app: default name, custom domain, wildcard one label deep, unknown', () => {
  const { table, add } = setup();
  add('a1', 'demo', [dyno('web.1', 'up')]).webQuantity = 1;
  add('a2', 'shop');
  table.setDomains('a2', ['WWW.Shop.example', '*.shop.example']);
  assert.equal(table.lookup('demo.localhost')?.appId, 'a1');
  assert.deepEqual(table.lookup('demo.localhost')?.up, [{ dyno: 'web.1', host: '10.213.0.2', port: 5000 }]);
  assert.equal(table.lookup('www.shop.example')?.appId, 'a2');
  assert.equal(table.lookup('api.shop.example')?.appId, 'a2');
  assert.equal(table.lookup('a.b.shop.example'), undefined);
  assert.equal(table.lookup('nope.localhost'), undefined);
});

test('a renamed app answers under its new name only; a forgotten one not at all', () => {
  const { table, add } = setup();
  const app = add('a1', 'old');
  table.setDomains('a1', ['old.example']);
  app.name = 'new';
  table.named(app, 'old');
  assert.equal(table.lookup('old.localhost'), undefined);
  assert.equal(table.lookup('new.localhost')?.appName, 'new');
  table.forget(app);
  assert.equal(table.lookup('old.example'), undefined);
});

test('what serves: up dynos not leaving; crashed ones mean H10; during a preboot the old dynos', () => {
  const { table, add, serving } = setup();
  const app = add('a1', 'demo', [dyno('web.1', 'up', '10.0.0.1'), dyno('web.2', 'up', '10.0.0.2', 5000, { leaving: true }), dyno('web.3', 'starting', '10.0.0.3')]);
  assert.deepEqual(table.lookup('demo.localhost')?.up.map((u) => u.dyno), ['web.1']);
  serving.set('a1', [dyno('web.1', 'up', '10.9.9.9')]);
  assert.deepEqual(table.lookup('demo.localhost')?.up.map((u) => u.host), ['10.9.9.9']);
  serving.delete('a1');
  app.dynos.clear();
  app.dynos.set('web.1', dyno('web.1', 'crashed'));
  assert.equal(table.lookup('demo.localhost')?.crashed, true);
  app.dynos.clear();
  assert.equal(table.lookup('demo.localhost')?.crashed, false, 'no web dyno at all is H14, not H10');
});

test('a lookup is a request: it marks the app requested and wakes an idle dyno', () => {
  const { table, add, woken } = setup();
  const app = add('a1', 'sleepy', [dyno('web.1', 'idle')]);
  app.lastRequestAt = 0;
  table.lookup('sleepy.localhost');
  assert.ok(app.lastRequestAt > 0);
  assert.deepEqual(woken, ['sleepy/web.1']);
  app.lastRequestAt = 0;
  table.touched('a1');
  assert.ok(app.lastRequestAt > 0);
});

test('the snapshot lists every app with its domains sorted; listeners hear of changes, a failing one does not stop the rest', () => {
  const { table, add } = setup();
  add('a1', 'demo', [dyno('web.1', 'up')]);
  let heard = 0;
  table.onChange(() => { throw new Error('listener bug'); });
  const off = table.onChange(() => heard++);
  table.setDomains('a1', ['b.example', 'a.example']);
  assert.equal(heard, 1);
  assert.deepEqual(table.routeSnapshot(), [{ id: 'a1', name: 'demo', maintenance: false, domains: ['a.example', 'b.example'], up: [{ dyno: 'web.1', host: '10.213.0.2', port: 5000 }], errorPageUrl: undefined }]);
  off();
  table.changed();
  assert.equal(heard, 1);
});
