// Pipelines, promotions, /filters/apps and App Setups answer only to those who may see them (issue #11,
// "every door checks"), on a real store with real accounts, apps, access and pipelines: Bob, a stranger
// to Alice's apps, cannot list, read, rename, couple into, promote into or destroy Alice's pipeline, nor
// read her apps through /filters/apps or her app setup; Carol, a collaborator on one of Alice's apps, sees
// the pipeline but may not destroy it nor promote into an app she does not reach; Alice still can.
// The release component is a recorder (what a promotion would release), since releasing is not under test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Accounts, type Account } from '../../accounts/index.ts';
import type { AppSetupRow } from '../../appsetups/index.ts';
import { AppAccess } from '../../apps/access.ts';
import { Collaborators } from '../../apps/collaborators.ts';
import { Apps, type AppRow } from '../../apps/index.ts';
import { Pipelines } from '../../pipelines/index.ts';
import { openStore } from '../../store/index.ts';
import { createHttpApi, type Api } from '../http.ts';
import { call } from '../test-helpers.ts';
import { appSetupRoutes } from './app-setups.ts';
import { pipelineRoutes } from './pipelines.ts';

describe('pipelines, promotions, filters and app setups: every door checks', () => {
  const store = openStore(':memory:');
  const db = store.db;
  const accounts = new Accounts({ db });
  const access = new AppAccess({ db });
  const released: string[] = [];
  const releases = {
    current: async (appId: string) => ({ id: `rel-${appId}`, slug_id: `slug-${appId}`, version: 1 }),
    create: async (o: { appId: string }) => { released.push(o.appId); return { id: `new-${o.appId}`, version: 2 }; },
    settled: async () => 'succeeded',
  };
  const pipelines = new Pipelines({ db, releases: releases as never });
  const apps = new Apps({
    db, stack: 's', repos: { create: async () => undefined, remove: async () => undefined },
    dynos: { track: () => undefined, renamed: () => undefined, setMaintenance: () => undefined, untrack: async () => undefined },
    addons: { destroyForApp: async () => undefined }, forget: () => undefined,
  });
  const setups: AppSetupRow[] = [];
  const setupsMade: string[] = [];
  const appSetups = {
    find: async (id: string) => {
      const row = setups.find((s) => s.id === id);
      if (!row) throw new Error('no such setup in this test');
      return row;
    },
    create: async (user: Account) => {
      setupsMade.push(user.email);
      return { setup: { ...setups[0]!, id: `setup-${setupsMade.length}`, user_id: user.id } };
    },
  };
  const who: Record<string, Account> = {};
  let api: Api;
  let a1: AppRow, a2: AppRow, b1: AppRow;
  let pipe: { id: string; name: string };
  const as = (name: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
    call(api, method, url, body, { authorization: `Bearer ${name}` });

  before(async () => {
    for (const n of ['alice', 'bob', 'carol']) {
      const row = await accounts.create(`${n}@example.com`, 'long enough password');
      who[n] = { id: row.id, email: row.email };
    }
    api = await createHttpApi({
      authenticate: async (req) => who[(req.headers.authorization ?? '').replace(/^Bearer /, '')],
      onInternalError: (err) => { throw err; },
      appAccess: (account, app, manage) => access.appFor(account, app, manage),
    });
    const deps = { pipelines, apps, accounts, access, appSetups, publicUrl: 'http://localhost:5000', domain: 'example.test', routerPort: 80 };
    pipelineRoutes(api, deps as never);
    appSetupRoutes(api, deps as never);
    await api.ready();
    a1 = await apps.create(who.alice!, { name: 'alice-staging' });
    a2 = await apps.create(who.alice!, { name: 'alice-prod' });
    b1 = await apps.create(who.bob!, { name: 'bob-app' });
    await new Collaborators({ db }).add(a1, who.carol!);
    const t = '2026-12-01T10:00:00.000Z';
    setups.push({
      id: 'a5e70000-0000-4000-8000-000000000001', app_id: a1.id, app_name: a1.name, user_id: who.alice!.id, status: 'failed',
      failure_message: 'postdeploy said SECRET-OF-ALICE', manifest_errors: '[]', build_id: null, source_url: 'https://example.test/a.tgz',
      postdeploy_output: 'SECRET-OF-ALICE', postdeploy_exit_code: 1, resolved_success_url: null, created_at: t, updated_at: t,
    });
    const made = await as('alice', 'POST', '/pipelines', { name: 'alice-pipe' });
    assert.equal(made.status, 201);
    pipe = made.body;
    for (const [app, stage] of [[a1, 'staging'], [a2, 'production']] as const) {
      assert.equal((await as('alice', 'POST', '/pipeline-couplings', { app: app.name, pipeline: pipe.id, stage })).status, 201);
    }
  });
  after(async () => {
    await api.close();
    await pipelines.stop();
    await store.close();
  });

  test('a stranger cannot list, read, change, couple into, promote into or destroy a pipeline, nor read its apps', async () => {
    const couplings = (await as('alice', 'GET', `/pipelines/${pipe.id}/pipeline-couplings`)).body as { id: string }[];
    assert.equal(couplings.length, 2);
    const promo = await as('alice', 'POST', '/pipeline-promotions', { pipeline: { id: pipe.id }, source: { app: { id: a1.id } } });
    assert.equal(promo.status, 201, JSON.stringify(promo.body));
    await pipelines.stop();
    assert.deepEqual(released, [a2.id]);

    const hidden = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, message = "Couldn't find that pipeline.") => {
      const res = await as('bob', method, url, body);
      assert.deepEqual([res.status, res.body.id, res.body.message], [404, 'not_found', message], `${method} ${url}`);
      assert.ok(!JSON.stringify(res.body).includes(a1.id));
    };
    assert.deepEqual((await as('bob', 'GET', '/pipelines')).body, []);
    assert.deepEqual((await as('bob', 'GET', `/pipelines?eq[name]=${pipe.name}`)).body, []);
    assert.deepEqual((await as('bob', 'GET', '/pipeline-couplings')).body, []);
    for (const ref of [pipe.id, pipe.name]) await hidden('GET', `/pipelines/${ref}`);
    await hidden('PATCH', `/pipelines/${pipe.id}`, { name: 'stolen-pipe' });
    await hidden('DELETE', `/pipelines/${pipe.id}`);
    await hidden('GET', `/pipelines/${pipe.id}/pipeline-couplings`);
    await hidden('POST', `/pipelines/${pipe.id}/review-app-config`, {});
    await hidden('DELETE', `/pipelines/${pipe.id}/review-app-config`);
    // His own app into her pipeline; her app into his own pipeline.
    await hidden('POST', '/pipeline-couplings', { app: b1.name, pipeline: pipe.id, stage: 'development' });
    assert.equal((await as('bob', 'POST', '/pipelines', { name: 'bob-pipe' })).status, 201);
    await hidden('POST', '/pipeline-couplings', { app: a1.name, pipeline: 'bob-pipe', stage: 'staging' }, "Couldn't find that app.");
    for (const c of couplings) {
      await hidden('GET', `/pipeline-couplings/${c.id}`, undefined, "Couldn't find that pipeline coupling.");
      await hidden('PATCH', `/pipeline-couplings/${c.id}`, { stage: 'review' }, "Couldn't find that pipeline coupling.");
      await hidden('DELETE', `/pipeline-couplings/${c.id}`, undefined, "Couldn't find that pipeline coupling.");
    }
    await hidden('POST', '/pipeline-promotions', { pipeline: { id: pipe.id }, source: { app: { id: a1.id } }, targets: [{ app: { id: a2.id } }] });
    await hidden('GET', `/pipeline-promotions/${promo.body.id}`, undefined, "Couldn't find that pipeline promotion.");
    await hidden('GET', `/pipeline-promotions/${promo.body.id}/promotion-targets`, undefined, "Couldn't find that pipeline promotion.");
    const filtered = await as('bob', 'POST', '/filters/apps', { in: { id: [a1.id, a2.id, b1.id] } });
    assert.deepEqual(filtered.body.map((a: { name: string }) => a.name), ['bob-app']);
    await hidden('GET', `/app-setups/${setups[0]!.id}`, undefined, "Couldn't find that app setup.");

    assert.deepEqual(released, [a2.id], 'nothing released by Bob');
    const still = await as('alice', 'GET', `/pipelines/${pipe.id}/pipeline-couplings`);
    assert.deepEqual(still.body.map((c: { stage: string }) => c.stage), ['staging', 'production'], 'her couplings unchanged');
    assert.equal((await as('alice', 'GET', `/pipelines/${pipe.id}`)).body.name, 'alice-pipe');
  });

  test('a collaborator on one app sees the pipeline, cannot destroy it or promote into an app it does not reach', async () => {
    assert.deepEqual((await as('carol', 'GET', '/pipelines')).body.map((p: { name: string }) => p.name), ['alice-pipe']);
    assert.equal((await as('carol', 'GET', `/pipelines/${pipe.id}`)).status, 200);
    for (const [method, url, body] of [['DELETE', `/pipelines/${pipe.id}`, undefined], ['PATCH', `/pipelines/${pipe.id}`, { name: 'carols-pipe' }], ['POST', `/pipelines/${pipe.id}/review-app-config`, {}]] as const) {
      const res = await as('carol', method, url, body);
      assert.deepEqual([res.status, res.body.id], [403, 'forbidden'], `${method} ${url}: ${JSON.stringify(res.body)}`);
    }
    // To the next stage (a2, which Carol does not reach), named or not: refused before anything is released.
    for (const targets of [undefined, [{ app: { id: a2.id } }]]) {
      const res = await as('carol', 'POST', '/pipeline-promotions', { pipeline: { id: pipe.id }, source: { app: { id: a1.id } }, ...(targets ? { targets } : {}) });
      assert.deepEqual([res.status, res.body.message], [404, "Couldn't find that app."]);
    }
    await pipelines.stop();
    assert.deepEqual(released, [a2.id], 'nothing released by Carol');
    // Her coupling may not be moved by her (she does not manage the app), and only reachable apps are listed.
    const mine = (await as('carol', 'GET', `/pipelines/${pipe.id}/pipeline-couplings`)).body.find((c: { app: { id: string } }) => c.app.id === a1.id);
    assert.equal((await as('carol', 'PATCH', `/pipeline-couplings/${mine.id}`, { stage: 'review' })).status, 403);
    const filtered = await as('carol', 'POST', '/filters/apps', { in: { id: [a1.id, a2.id] } });
    assert.deepEqual(filtered.body.map((a: { name: string }) => a.name), ['alice-staging']);
  });

  test('the owner still does everything; an app setup is its creator\'s, and made as the caller', async () => {
    const setup = await as('alice', 'GET', `/app-setups/${setups[0]!.id}`);
    assert.equal(setup.status, 200);
    assert.equal(setup.body.postdeploy.output, 'SECRET-OF-ALICE');
    const made = await as('bob', 'POST', '/app-setups', { source_blob: { url: 'https://example.test/b.tgz' } });
    assert.equal(made.status, 202);
    assert.deepEqual(setupsMade, ['bob@example.com']);
    assert.deepEqual((await as('alice', 'POST', '/filters/apps', { in: { id: [a1.id, a2.id, b1.id] } })).body.map((a: { name: string }) => a.name), ['alice-staging', 'alice-prod']);
    assert.equal((await as('alice', 'PATCH', `/pipelines/${pipe.id}`, { name: 'alice-pipe2' })).body.name, 'alice-pipe2');
    assert.equal((await as('alice', 'POST', `/pipelines/${pipe.id}/review-app-config`, {})).status, 201);
    assert.equal((await as('alice', 'DELETE', `/pipelines/${pipe.id}`)).status, 200);
    assert.equal((await as('alice', 'GET', `/pipelines/${pipe.id}`)).status, 404);
  });
});
