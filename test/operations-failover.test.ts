// Two platform processes on one PostgreSQL database (SLIPWAY_DATABASE_URL) and one blob dir
// (SLIPWAY_BLOB_DIR), each with its own data dir, ports and router, as on two machines: one leads (the
// advisory lock) and runs the dynos, the other serves the API on the same state and passes changes to the
// leader; the leader is SIGKILLed and the other takes over within seconds, serving the app through its
// own router from the slug in the shared blob dir. Real PostgreSQL, real runc dynos, real HAProxy.
// Logs: a line a dyno prints (on the leader's machine), the leader's router lines and the standby's API
// lines show in `logs` and `logs --tail` through both; a drain added through the standby gets each line
// once, from the leader, and after the failover from the new leader.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { postgresMissing, TestPostgres } from '../src/store/test-helpers.ts';
import { sleep, TestPlatform } from './helpers/platform.ts';

const APP = 'failover';

/** Times `text` occurs in `s`. */
const count = (s: string, text: string): number => s.split(text).length - 1;

/** Opens `logs --tail` (a tail log session, no history) through `p`; `seen(pattern)` waits (bounded) for a line. */
async function tail(p: TestPlatform): Promise<{ seen(pattern: RegExp): Promise<string>; close(): void }> {
  const r = await p.request('POST', `/apps/${APP}/log-sessions`, { lines: 0, tail: true });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const abort = new AbortController();
  const res = await fetch(r.body.logplex_url, { signal: abort.signal });
  let text = '';
  const reader = res.body!.getReader();
  const reading = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += Buffer.from(r.value).toString();
  })().catch(() => undefined);
  return {
    seen: async (pattern) => {
      for (let i = 0; i < 600 && !pattern.test(text); i++) await sleep(100);
      assert.match(text, pattern);
      return text;
    },
    close: () => { abort.abort(); void reading; },
  };
}

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
  let syslog: Server;
  let drained = '';

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-failover-'));
    blobs = await mkdtemp(join(tmpdir(), 'slipway-blobs-'));
    pg = await TestPostgres.start();
    syslog = createServer((c) => c.on('data', (d) => { drained += d; }));
    await new Promise<void>((r) => syslog.listen(0, '127.0.0.1', r));
    env = { SLIPWAY_DATABASE_URL: await pg.database(), SLIPWAY_BLOB_DIR: blobs, SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32' };
    await a.start(env);
    // The same operator on both: one account in the shared database.
    b.key = a.key;
    await b.start(env);
  });

  after(async () => {
    await b.cleanup();
    await a.cleanup();
    await pg?.stop();
    syslog?.close();
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

    // What the leader's dyno printed shows in `logs` through the standby too.
    await b.waitForLog(APP, /app\[web\.1\]: router-app listening on/, 30);
    // A drain added through the standby: the leader runs it and sends it every line once, those the
    // leader stored (its router's) and those the standby did (its API's `Scaled to` line).
    const port = (syslog.address() as { port: number }).port;
    assert.equal((await b.request('POST', `/apps/${APP}/log-drains`, { url: `syslog://127.0.0.1:${port}` })).status, 201);
    for (let i = 0; i < 50 && !drained.includes('mark=warm-up'); i++) {
      await a.route(APP, '/?mark=warm-up');
      await sleep(200);
    }
    assert.equal((await a.route(APP, '/?mark=through-leader')).status, 200);
    await b.waitForLog(APP, /heroku\[router\]: .*mark=through-leader/, 10);

    // Scaled through the standby: the leader's dyno manager starts web.2 on its machine, and a tail
    // through the standby shows what web.2 prints.
    const tailing = await tail(b);
    const scaled = await b.request('PATCH', `/apps/${APP}/formation/web`, { quantity: 2 });
    assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
    await a.waitFor(APP, 'router-app on web.2', '/', 60);
    await tailing.seen(/app\[web\.2\]: router-app listening on/);
    tailing.close();
    await a.waitForLog(APP, /app\[api\]: Scaled to web@2/, 10);
    for (let i = 0; i < 50 && !(drained.includes('mark=through-leader') && drained.includes('Scaled to web@2')); i++) await sleep(100);
    await sleep(2000);
    assert.equal(count(drained, 'mark=through-leader'), 1, 'the leader\'s router line reaches the drain once');
    assert.equal(count(drained, 'Scaled to web@2'), 1, 'the standby\'s API line reaches the drain once');

    // The leader dies without a word (its dynos are left running, as when its machine is cut off).
    await a.kill();
    await b.waitFor(APP, 'router-app on web.1', '/', 90);
    await b.waitFor(APP, 'router-app on web.2', '/', 30);
    await said(b, /This platform process now leads/);
    const ps = await b.request('GET', `/apps/${APP}/dynos`);
    assert.deepEqual(ps.body.map((d: { name: string; state: string }) => `${d.name} ${d.state}`).sort(), ['web.1 up', 'web.2 up']);
    // The new leader has the stream from before (it stored every line), serves tails and runs the drain.
    assert.match(await b.logs(APP), /app\[web\.2\]: router-app listening on/);
    const tailAfter = await tail(b);
    assert.equal((await b.route(APP, '/?mark=after-failover')).status, 200);
    await tailAfter.seen(/heroku\[router\]: .*mark=after-failover/);
    tailAfter.close();
    for (let i = 0; i < 50 && !drained.includes('mark=after-failover'); i++) await sleep(100);
    await sleep(2000);
    assert.equal(count(drained, 'mark=after-failover'), 1, 'the new leader sends each line to the drain once');

    // The first process comes back: it cleans up the dynos it left and stands by, the lock being taken.
    await a.relaunch();
    await said(a, /Another platform process leads/);
    assert.deepEqual(await a.containers(), [], 'the dynos it left when killed are gone');
    assert.equal((await b.route(APP)).status, 200);
  });
});
