// App webhooks hear each kind of change from the component where it happens, with Heroku's payload (the
// resource as the API shows it, the actor, previous_data), and a push's first deploy applies app.json.
// One platform; receivers are real HTTP servers on loopback that check each signature; the official heroku
// CLI adds the webhook and reads deliveries, one delivery's event and the events.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { appFiles } from './helpers/apps.ts';
import { herokuEnv, HEROKU, installHerokuCli, runIn } from './helpers/heroku.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';
import { until } from './helpers/wait.ts';

const run = promisify(execFile);

describe('app lifecycle: app.json on push, webhook events', () => {
  const p = new TestPlatform();
  let work: string;
  const heroku = (args: string[]) => runIn(HEROKU, args, { env: herokuEnv(p, join(work, 'home')), timeout: 180_000 });

  before(async () => {
    await installHerokuCli();
    work = await mkdtemp(join(tmpdir(), 'slipway-lifecycle-events-'));
    await mkdir(join(work, 'home'));
    // Loopback receivers: allowed as an operator would allow them (loopback only).
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8' });
  });
  after(async () => {
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("a push's first deploy applies app.json (env, add-ons, postdeploy); a bad app.json fails the push naming the field", async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'lc-push' })).status, 201);
    const appJson = JSON.stringify({
      env: { GREETING: 'hello from a push', SECRET_TOKEN: { generator: 'secret' } },
      addons: ['scheduler:standard'],
      scripts: { postdeploy: 'echo "first push postdeploy says $GREETING"' },
    });
    const dir = join(work, 'lc-push');
    await makeRepo(dir, { ...appFiles('pushed-with-app-json'), 'app.json': appJson });
    const first = await p.push(dir, 'lc-push');
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /app\.json: provisioning scheduler:standard/);
    assert.match(first.output, /app\.json: setting GREETING, SECRET_TOKEN/);
    await p.waitFor('lc-push', 'pushed-with-app-json');
    assert.equal((await p.route('lc-push', '/env/GREETING')).body, 'hello from a push');
    assert.match((await p.route('lc-push', '/env/SECRET_TOKEN')).body, /^[0-9a-f]{64}$/);
    await p.waitForLog('lc-push', /first push postdeploy says hello from a push/);
    await p.waitForLog('lc-push', /scripts\.postdeploy exited with status 0/);

    // A build webhook hears the next push's build end.
    const builds: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => { builds.push(body); res.end(); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const hook = await p.request('POST', '/apps/lc-push/webhooks', { include: ['api:build'], level: 'notify', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` });
      assert.equal(hook.status, 201);
      assert.match(hook.headers.get('heroku-webhook-secret') ?? '', /^[0-9a-f]{40}$/, 'a generated secret, shown once');
      await makeRepo(dir, { 'app.json': appJson.replace('hello from a push', 'changed') }, 'later');
      const later = await p.push(dir, 'lc-push');
      assert.equal(later.code, 0, later.output);
      assert.doesNotMatch(later.output, /app\.json: setting/, 'only the first deploy applies app.json');
      // Heroku's two build events: created (pending), then updated when it ends (previous_data: the old status).
      const payloads = await until(async () => builds.length >= 2 && builds.map((b) => JSON.parse(b)), 30, 'the api:build deliveries');
      const created = payloads.find((x) => x.action === 'create');
      const ended = payloads.find((x) => x.action === 'update');
      assert.equal(created?.data.status, 'pending');
      assert.equal(ended?.resource, 'build');
      assert.equal(ended.data.status, 'succeeded');
      assert.equal(ended.data.id, created.data.id);
      assert.deepEqual(ended.previous_data, { status: 'pending' });
      assert.equal(ended.webhook_metadata.event.include, 'api:build');
    } finally {
      receiver.close();
    }

    assert.equal((await p.request('POST', '/apps', { name: 'lc-pushbad' })).status, 201);
    const bad = join(work, 'lc-pushbad');
    await makeRepo(bad, { ...appFiles('never'), 'app.json': '{"env": {"A": {"required": "yes"}}}' });
    const refused = await p.push(bad, 'lc-pushbad');
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /app\.json env\.A\.required must be a boolean/);
    assert.equal((await p.request('GET', '/apps/lc-pushbad/releases')).body.length, 0, 'nothing released');
  });

  test('app webhooks hear each kind of change where it happens, in the API\'s shapes; the official CLI lists deliveries and events', async () => {
    const got: { payload: Record<string, any>; good: boolean }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ payload: JSON.parse(body), good: req.headers['heroku-webhook-hmac-sha256'] === createHmac('sha256', 'kinds-secret').update(body).digest('base64') });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(work, 'kinds.key'), '-out', join(work, 'kinds.crt'), '-days', '2', '-subj', '/CN=www.kinds.example']);
    const keyPem = await readFile(join(work, 'kinds.key'), 'utf8');
    try {
      const include = 'api:formation,api:dyno,dyno,api:app,api:domain,api:addon,api:addon-attachment,api:release,api:sni-endpoint,api:collaborator';
      const add = await heroku(['webhooks:add', '-a', 'lc-push', '-i', include, '-l', 'notify', '-u', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, '-s', 'kinds-secret']);
      assert.equal(add.code, 0, add.stderr);
      const me = (await p.request('GET', '/account')).body as { id: string; email: string };
      const of = (kind: string, action: string) => got.find((g) => g.payload.webhook_metadata.event.include === kind && g.payload.action === action)?.payload;

      assert.equal((await p.request('PATCH', '/apps/lc-push/formation', { updates: [{ type: 'web', quantity: 2 }] })).status, 200);
      const ran = await p.request('POST', '/apps/lc-push/dynos', { command: 'echo from a one-off', attach: false });
      assert.equal(ran.status, 201, JSON.stringify(ran.body));
      assert.equal((await p.request('PATCH', '/apps/lc-push', { maintenance: true })).status, 200);
      assert.equal((await p.request('POST', '/apps/lc-push/domains', { hostname: 'www.kinds.example' })).status, 201);
      const sni = await p.request('POST', '/apps/lc-push/sni-endpoints', { certificate_chain: await readFile(join(work, 'kinds.crt'), 'utf8'), private_key: keyPem });
      assert.equal(sni.status, 201, JSON.stringify(sni.body));
      // A second Scheduler add-on (no server to start), then attached again under another name; a config change makes a release.
      const scheduler = await p.request('POST', '/apps/lc-push/addons', { plan: 'scheduler:standard' });
      assert.equal(scheduler.status, 201, JSON.stringify(scheduler.body));
      const att = await p.request('POST', '/addon-attachments', { addon: { name: scheduler.body.name }, app: { name: 'lc-push' }, name: 'SHARED' });
      assert.equal(att.status, 201, JSON.stringify(att.body));
      assert.equal((await p.request('PATCH', '/apps/lc-push/config-vars', { KIND: 'release' })).status, 200);
      assert.equal((await p.request('POST', '/accounts', { email: 'kinds@example.com', password: 'a long enough password' })).status, 201);
      assert.equal((await p.request('POST', '/apps/lc-push/collaborators', { user: 'kinds@example.com' })).status, 201);
      await until(async () => of('api:formation', 'update') && of('api:dyno', 'create') && of('api:app', 'update') && of('api:domain', 'create')
        && of('api:sni-endpoint', 'create') && of('api:addon', 'create') && got.filter((g) => g.payload.resource === 'addon-attachment').length >= 2 && of('api:release', 'create') && of('api:collaborator', 'create'), 60, `every kind of event; got ${got.map((g) => g.payload.webhook_metadata.event.include).join(' ')}`);
      assert.ok(got.every((g) => g.good), 'every delivery signed with the secret');

      // Each event's data is the resource as the API shows it, with the actor and the changed fields' old values.
      const formation = of('api:formation', 'update')!;
      assert.deepEqual(formation.data, (await p.request('GET', '/apps/lc-push/formation/web')).body);
      assert.equal(formation.data.quantity, 2);
      assert.deepEqual(formation.previous_data, { quantity: 1 });
      assert.deepEqual(formation.actor, { id: me.id, email: me.email });
      const dyno = of('api:dyno', 'create')!;
      assert.equal(dyno.data.id, ran.body.id);
      assert.equal(dyno.data.command, 'echo from a one-off');
      assert.match(dyno.data.name, /^run\.\d+$/);
      assert.equal(dyno.actor.email, me.email);
      // Its state changes (`dyno`): updated while it runs, destroyed once it has completed.
      const states = await until(async () => {
        const mine = got.filter((g) => g.payload.resource === 'dyno' && g.payload.data.name === dyno.data.name).map((g) => g.payload);
        return mine.some((e) => e.action === 'destroy') && mine;
      }, 60, 'the one-off\'s dyno events');
      const ended = states.find((e) => e.action === 'destroy')!;
      assert.equal(ended.data.state, 'complete');
      assert.equal(ended.data.command, 'echo from a one-off');
      assert.match(ended.previous_data.state, /^(starting|up)$/);
      const app = of('api:app', 'update')!;
      assert.equal(app.data.maintenance, true);
      assert.deepEqual(app.previous_data, { maintenance: false });
      assert.equal(app.data.name, 'lc-push');
      const domain = of('api:domain', 'create')!;
      assert.deepEqual(domain.data, (await p.request('GET', '/apps/lc-push/domains/www.kinds.example')).body);
      const cert = of('api:sni-endpoint', 'create')!;
      assert.equal(cert.data.id, sni.body.id);
      assert.ok(!JSON.stringify(cert).includes('PRIVATE KEY'), 'never the private key');
      const addon = of('api:addon', 'create')!;
      assert.equal(addon.data.id, scheduler.body.id);
      assert.equal(addon.data.plan.name, 'scheduler:standard');
      assert.equal(addon.data.state, 'provisioned');
      assert.equal(addon.actor.email, me.email);
      const attached = got.find((g) => g.payload.resource === 'addon-attachment' && g.payload.data.name === 'SHARED')!.payload;
      assert.equal(attached.action, 'create');
      assert.equal(attached.data.addon.name, scheduler.body.name);
      assert.equal(attached.data.app.name, 'lc-push');
      const release = of('api:release', 'create')!;
      assert.match(release.data.description, /^Set KIND config var/);
      const asShown = (await p.request('GET', `/apps/lc-push/releases/${release.data.id}`)).body;
      assert.deepEqual({ ...release.data, output_stream_url: undefined }, { ...asShown, output_stream_url: undefined });

      assert.deepEqual(of('api:collaborator', 'create')!.data, (await p.request('GET', '/apps/lc-push/collaborators/kinds@example.com')).body);

      // Taken back: the destroy events.
      assert.equal((await p.request('DELETE', '/apps/lc-push/collaborators/kinds@example.com')).status, 200);
      assert.equal((await p.request('DELETE', `/addon-attachments/${att.body.id}`)).status, 200);
      assert.equal((await p.request('DELETE', `/apps/lc-push/addons/${scheduler.body.name}`)).status, 200);
      assert.equal((await p.request('DELETE', '/apps/lc-push/domains/www.kinds.example')).status, 200);
      assert.equal((await p.request('DELETE', `/apps/lc-push/sni-endpoints/${sni.body.id}`)).status, 200);
      await until(async () => of('api:addon-attachment', 'destroy') && of('api:addon', 'destroy') && of('api:domain', 'destroy') && of('api:sni-endpoint', 'destroy') && of('api:collaborator', 'destroy'), 60, 'the destroy events');
      assert.equal(of('api:collaborator', 'destroy')!.data.user.email, 'kinds@example.com');
      assert.equal(of('api:domain', 'destroy')!.data.hostname, 'www.kinds.example');
      assert.equal(of('api:addon', 'destroy')!.data.state, 'deprovisioned');

      // The official CLI: deliveries (newest first), one delivery with its event's payload, and the events.
      const deliveries = await heroku(['webhooks:deliveries', '-a', 'lc-push']);
      assert.equal(deliveries.code, 0, deliveries.stderr);
      assert.match(deliveries.stdout, /api:formation\s+notify\s+1\s+200/);
      const list = (await p.request('GET', '/apps/lc-push/webhook-deliveries')).body as { id: string; event: { include: string } }[];
      const one = list.find((d) => d.event.include === 'api:formation')!;
      const info = await heroku(['webhooks:deliveries:info', one.id, '-a', 'lc-push']);
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /Include:\s+api:formation/);
      assert.match(info.stdout, /"quantity": 2/);
      const events = await heroku(['webhooks:events', '-a', 'lc-push']);
      assert.equal(events.code, 0, events.stderr);
      assert.match(events.stdout, /formation\s+update/);
      assert.match(events.stdout, /addon-attachment\s+destroy/);
      const event = await heroku(['webhooks:events:info', formation.id, '-a', 'lc-push']);
      assert.equal(event.code, 0, event.stderr);
      assert.match(event.stdout, /"resource": "formation"/);

      // The webhook itself: shown, changed (sync, formation only), removed; nothing more is delivered.
      const hookId = ((await p.request('GET', '/apps/lc-push/webhooks')).body as { id: string; include: string[] }[]).find((w) => w.include.includes('api:dyno'))!.id;
      const shown = await heroku(['webhooks:info', hookId, '-a', 'lc-push']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /api:formation/);
      const updated = await heroku(['webhooks:update', hookId, '-a', 'lc-push', '-i', 'api:formation', '-l', 'sync', '-u', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`]);
      assert.equal(updated.code, 0, updated.stderr);
      assert.deepEqual((await p.request('GET', `/apps/lc-push/webhooks/${hookId}`)).body.include, ['api:formation']);
      const removed = await heroku(['webhooks:remove', hookId, '-a', 'lc-push']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal((await p.request('GET', `/apps/lc-push/webhooks/${hookId}`)).status, 404);
    } finally {
      receiver.close();
      await p.request('PATCH', '/apps/lc-push', { maintenance: false });
      await p.request('PATCH', '/apps/lc-push/formation', { updates: [{ type: 'web', quantity: 1 }] });
    }
  });
});
