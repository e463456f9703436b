// Two platform processes on one PostgreSQL database (SLIPWAY_DATABASE_URL) and one blob dir
// (SLIPWAY_BLOB_DIR), each with its own data dir, ports and router, as on two machines: one leads (the
// advisory lock) and runs the dynos, the other serves the API on the same state and passes changes to the
// leader; the leader is SIGKILLed and the other takes over within seconds, serving the app through its
// own router from the slug in the shared blob dir. Real PostgreSQL, real runc dynos, real HAProxy.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postgresMissing, TestPostgres } from '../src/store/test-helpers.ts';
import { sleep, TestPlatform } from './helpers/platform.ts';

const APP = 'failover';

/** The platform's log is written asynchronously: waits (bounded) for a line before asserting it. */
async function said(p: TestPlatform, line: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !line.test(p.output); i++) await sleep(100);
  assert.match(p.output, line);
}

describe('two platform processes on one PostgreSQL', { skip: postgresMissing() ?? false }, () => {
  const a = new TestPlatform();
  const b = new TestPlatform();
  let pg: TestPostgres;
  let work: string;
  let blobs: string;
  let env: Record<string, string>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-failover-'));
    blobs = await mkdtemp(join(tmpdir(), 'slipway-blobs-'));
    pg = await TestPostgres.start();
    env = { SLIPWAY_DATABASE_URL: await pg.database(), SLIPWAY_BLOB_DIR: blobs };
    await a.start(env);
    // The same operator on both: one account in the shared database.
    b.key = a.key;
    await b.start(env);
  });

  after(async () => {
    await b.cleanup();
    await a.cleanup();
    await pg?.stop();
    for (const d of [work, blobs]) if (d) await rm(d, { recursive: true, force: true });
  });

  test('one leads; the other serves the same state and hands changes to the leader; the leader dies and the other takes over', async () => {
    await said(b, /Another platform process leads/);
    await said(a, /Slipway is running/);
    assert.doesNotMatch(a.output, /Another platform process leads/);

    await a.deployFixture('router-app', APP, work, 'router-app on web.1');
    // The standby's API answers from the shared database.
    const seen = await b.request('GET', `/apps/${APP}/releases`);
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body.map((r: { version: number; status: string }) => `v${r.version} ${r.status}`), ['v1 succeeded']);

    // Scaled through the standby: the leader's dyno manager starts web.2 on its machine.
    const scaled = await b.request('PATCH', `/apps/${APP}/formation/web`, { quantity: 2 });
    assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
    await a.waitFor(APP, 'router-app on web.2', '/', 60);

    // The leader dies without a word (its dynos are left running, as when its machine is cut off).
    await a.kill();
    await b.waitFor(APP, 'router-app on web.1', '/', 90);
    await b.waitFor(APP, 'router-app on web.2', '/', 30);
    await said(b, /This platform process now leads/);
    const ps = await b.request('GET', `/apps/${APP}/dynos`);
    assert.deepEqual(ps.body.map((d: { name: string; state: string }) => `${d.name} ${d.state}`).sort(), ['web.1 up', 'web.2 up']);

    // The first process comes back: it cleans up the dynos it left and stands by, the lock being taken.
    await a.relaunch();
    await said(a, /Another platform process leads/);
    assert.deepEqual(await a.containers(), [], 'the dynos it left when killed are gone');
    assert.equal((await b.route(APP)).status, 200);
  });
});
