// Webhooks against a real store and real local HTTP receivers: signed deliveries checked with the
// secret, a sync delivery refused once then accepted on its retry (every attempt recorded), notify not
// retried, and a receiver on loopback refused when the operator has not allowed internal targets.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllowedTargets } from '../egress/index.ts';
import { ConfigCipher } from '../releases/cipher.ts';
import { now, openStore, type OpenedStore } from '../store/index.ts';
import { Webhooks } from './index.ts';

let dir: string;
let store: OpenedStore;
let cipher: ConfigCipher;
const servers: Server[] = [];
const APP = { id: 'a0000000-0000-4000-8000-000000000001', name: 'hooked' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-webhooks-'));
  store = openStore(join(dir, 'db'));
  cipher = await ConfigCipher.open(join(dir, 'key'));
  const t = now();
  await store.db.insertInto('accounts').values({ id: 'u1', email: 'u@example.com', api_key_hash: 'x', created_at: t, updated_at: t } as never).execute();
  await store.db.insertInto('apps').values({ id: APP.id, name: APP.name, owner_id: 'u1', stack: 'slipway-12', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
});
after(async () => {
  for (const s of servers) s.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A receiver that answers each POST with the next status of `answers` (the last repeats) and keeps what it got. */
async function receiver(answers: number[]) {
  const got: { body: string; signature: string | undefined; ok: boolean }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ body, signature: req.headers['heroku-webhook-hmac-sha256'] as string | undefined, ok: false });
      res.writeHead(answers[Math.min(got.length - 1, answers.length - 1)]!).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const until = async (what: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await what()) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error('timed out');
};

test('a sync delivery refused once is retried, signed each time, and every attempt is recorded', async () => {
  const hooks = new Webhooks({ db: store.db, egress: parseAllowedTargets('1'), sealer: cipher, retryBaseMs: 200, maxAttempts: 5 });
  hooks.start();
  try {
    const r = await receiver([500, 200]);
    const { row, secret } = await hooks.add(APP.id, { include: ['api:release'], level: 'sync', url: r.url, secret: 'sekrit' });
    assert.equal(secret, 'sekrit');
    const stored = await store.db.selectFrom('app_webhooks').select('secret').where('id', '=', row.id).executeTakeFirstOrThrow();
    assert.ok(!stored.secret!.includes('sekrit'), 'the secret is encrypted at rest');
    await hooks.emit(APP, 'api:build', 'create', { id: 'b1' }); // not included: no delivery
    await hooks.emit(APP, 'api:release', 'create', { id: 'r1', version: 3 }, { id: 'u1', email: 'u@example.com' });
    await until(async () => (await hooks.deliveries(APP.id))[0]?.status === 'succeeded');
    assert.equal(r.got.length, 2);
    for (const g of r.got) {
      assert.equal(g.signature, createHmac('sha256', 'sekrit').update(g.body).digest('base64'));
      const p = JSON.parse(g.body);
      assert.equal(p.resource, 'release');
      assert.equal(p.action, 'create');
      assert.equal(p.data.version, 3);
      assert.equal(p.webhook_metadata.event.include, 'api:release');
      assert.equal(p.webhook_metadata.webhook.id, row.id);
    }
    const [d] = await hooks.deliveries(APP.id);
    assert.equal(d!.num_attempts, 2);
    assert.deepEqual(JSON.parse(d!.attempts).map((a: { code: number }) => a.code), [500, 200]);
    assert.equal((await hooks.events(APP.id)).length, 1, 'one event: api:build had no subscriber');
    await hooks.remove(APP.id, row.id);
  } finally {
    await hooks.stop();
  }
});

test('notify is attempted once; a loopback receiver is refused unless the operator allows it; bad input is named', async () => {
  const hooks = new Webhooks({ db: store.db, egress: parseAllowedTargets(undefined), sealer: cipher, retryBaseMs: 100 });
  hooks.start();
  try {
    const r = await receiver([200]);
    // A literal internal address is refused when added; a name resolving to one, at delivery.
    await assert.rejects(hooks.add(APP.id, { include: ['api:release'], level: 'notify', url: r.url }), /url 127\.0\.0\.1 is not reachable for webhooks: .*SLIPWAY_ALLOW_PRIVATE_TARGETS/);
    await assert.rejects(hooks.add(APP.id, { include: ['api:release'], level: 'notify', url: 'http://169.254.169.254/latest' }), /169\.254\.169\.254 is not reachable/);
    const { row } = await hooks.add(APP.id, { include: ['api:release'], level: 'notify', url: r.url.replace('127.0.0.1', 'localhost') });
    await hooks.emit(APP, 'api:release', 'create', { id: 'r2' });
    await until(async () => (await hooks.deliveries(APP.id)).some((d) => d.webhook_id === row.id && d.status === 'failed'));
    const d = (await hooks.deliveries(APP.id)).find((x) => x.webhook_id === row.id)!;
    assert.equal(d.num_attempts, 1);
    assert.equal(JSON.parse(d.attempts)[0].error_class, 'EgressRefused');
    assert.equal(r.got.length, 0, 'nothing reached the loopback receiver');
    await assert.rejects(hooks.add(APP.id, { include: ['api:nope'], level: 'notify', url: r.url }), /include "api:nope" is not an event type/);
    await assert.rejects(hooks.add(APP.id, { include: ['api:release'], level: 'loud', url: r.url }), /level must be "notify"/);
    await assert.rejects(hooks.add(APP.id, { include: ['api:release'], level: 'sync', url: 'ftp://x/' }), /url must be http or https/);
    await assert.rejects(hooks.add(APP.id, { include: ['api:release'], level: 'sync', url: 'http://u:p@example.com/' }), /must not carry credentials/);
  } finally {
    await hooks.stop();
  }
});

test('publish returns at once: an event no webhook includes is never made; included ones are recorded in the order published', async () => {
  const hooks = new Webhooks({ db: store.db, egress: parseAllowedTargets('1'), sealer: cipher });
  hooks.start();
  try {
    const r = await receiver([200]);
    const { row } = await hooks.add(APP.id, { include: ['api:formation'], level: 'notify', url: r.url });
    let made = 0;
    hooks.publish(APP.id, 'api:dyno', 'create', async () => { made++; return { data: {} }; });
    // The first payload takes longer to make than the second: the order published is kept.
    hooks.publish(APP.id, 'api:formation', 'update', async () => {
      await new Promise((res) => setTimeout(res, 200));
      return { data: { type: 'web', quantity: 2 }, actor: { id: 'u1', email: 'u@example.com' }, previous_data: { quantity: 1 } };
    });
    hooks.publish(APP.id, 'api:formation', 'update', async () => ({ data: { type: 'web', quantity: 3 }, previous_data: { quantity: 2 } }));
    // A payload that cannot be made is logged and skipped; the queue goes on.
    hooks.publish(APP.id, 'api:formation', 'update', async () => { throw new Error('gone'); });
    assert.equal((await hooks.events(APP.id)).filter((e) => e.include === 'api:formation').length, 0, 'nothing recorded yet: publish did not wait');
    await hooks.settled();
    assert.equal(made, 0, 'no webhook includes api:dyno: its payload was never made');
    const events = (await hooks.events(APP.id)).filter((e) => e.include === 'api:formation').map((e) => ({ ...JSON.parse(e.payload), recorded: e.created_at }))
      .sort((x, y) => x.data.quantity - y.data.quantity);
    assert.deepEqual(events.map((e) => [e.action, e.resource, e.data.quantity, e.previous_data.quantity]), [['update', 'formation', 2, 1], ['update', 'formation', 3, 2]]);
    assert.ok(events[0].recorded <= events[1].recorded, 'recorded in the order published, though the first took longer to make');
    assert.deepEqual(events[0].actor, { id: 'u1', email: 'u@example.com' });
    await until(async () => r.got.length === 2);
    assert.deepEqual(r.got.map((g) => JSON.parse(g.body).data.quantity).sort(), [2, 3]);
    // Removed: the in-memory copy follows, so nothing more is made for it.
    await hooks.remove(APP.id, row.id);
    hooks.publish(APP.id, 'api:formation', 'update', async () => { made++; return { data: {} }; });
    await hooks.settled();
    assert.equal(made, 0);
  } finally {
    await hooks.stop();
  }
});

test('with a shared store, a webhook added or removed through another process is followed within followMs', async () => {
  // Two platform processes on one store: `here` publishes, `there` takes the API call that adds the webhook.
  const here = new Webhooks({ db: store.db, egress: parseAllowedTargets('1'), sealer: cipher, followMs: 100 });
  const there = new Webhooks({ db: store.db, egress: parseAllowedTargets('1'), sealer: cipher });
  await here.settled();
  try {
    let made = 0;
    const make = async () => { made++; return { data: {} }; };
    const { row } = await there.add(APP.id, { include: ['api:domain'], level: 'notify', url: 'http://localhost:9/hook' });
    // Heard within a few reads of the copy, not only after a restart.
    await until(async () => {
      here.publish(APP.id, 'api:domain', 'create', make);
      await here.settled();
      return made > 0;
    }, 5000);
    await there.remove(APP.id, row.id);
    await new Promise((r) => setTimeout(r, 400));
    const before = made;
    here.publish(APP.id, 'api:domain', 'create', make);
    await here.settled();
    assert.equal(made, before, 'removed elsewhere: nothing more is made here');
  } finally {
    await here.stop();
    await there.stop();
  }
});
