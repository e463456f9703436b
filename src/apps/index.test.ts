// The apps component on a real store (SQLite in memory): the lifecycle's rules and what destroying an
// app reaches, with the other components' parts it calls recorded.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { PlatformError } from '../errors.ts';
import { ConfigCipher } from '../releases/index.ts';
import { SlugRecords } from '../build/records.ts';
import { TestStores } from '../store/test-helpers.ts';
import { Apps, type AppsOptions, Domains, SniEndpoints } from './index.ts';

// Each test on both dialects: SQLite, and a real PostgreSQL (one throwaway cluster for the file).
const stores = new TestStores();
after(() => stores.close());

for (const dialect of stores.dialects) {
  describe(dialect, { skip: stores.skip(dialect) }, () => {
    const OWNER = { id: 'acc-1', email: 'dev@example.com' };

    async function setup(o: { maxPerAccount?: number; onChange?: AppsOptions['onChange'] } = {}) {
      const store = await stores.open(dialect);
      const t = new Date().toISOString();
      await store.db.insertInto('accounts').values({ id: OWNER.id, email: OWNER.email, api_key_hash: 'h', created_at: t, updated_at: t }).execute();
      const log: string[] = [];
      const apps = new Apps({
        db: store.db, stack: 'slipway-12',
        repos: { create: async (id) => { log.push(`repo+ ${id}`); }, remove: async (id) => { log.push(`repo- ${id}`); } },
        dynos: {
          track: (_id, name) => log.push(`track ${name}`), renamed: (_id, name) => log.push(`renamed ${name}`),
          setMaintenance: (_id, on) => log.push(`maintenance ${on}`), untrack: async () => { log.push('untrack'); },
        },
        addons: { destroyForApp: async (_id, user) => { log.push(`addons- by ${user.email}`); } },
        forget: () => log.push('forget'),
        ...o,
      });
      const served: string[] = [];
      const certs = new SniEndpoints({
        db: store.db, sealer: ConfigCipher.fromKey(randomBytes(32)), table: { set: (c) => served.push(`${c.name}:${c.hostnames.join(',')}`), delete: (n) => served.push(`-${n}`) },
        check: (chain) => { if (!chain.includes('BEGIN CERTIFICATE')) throw new Error('certificate_chain is not a PEM certificate.'); },
      });
      const routed = new Map<string, string[]>();
      const domains = new Domains({ db: store.db, domain: 'localhost', routes: { setDomains: (id, h) => routed.set(id, h) }, certs });
      return { store, apps, domains, certs, log, served, routed };
    }

    const refusal = (message: RegExp, status = 422) => (err: unknown) =>
      err instanceof PlatformError && err.status === status && message.test(err.message);

    test('create: a generated Heroku-style name, or the one asked for once; a second app of that name is refused', async () => {
      const { apps, log, store } = await setup();
      const named = await apps.create(OWNER, { name: 'my-app' });
      assert.equal(named.owner_id, OWNER.id);
      assert.deepEqual(log, [`repo+ ${named.id}`, 'track my-app']);
      const generated = await apps.create(OWNER);
      assert.match(generated.name, /^[a-z]+-[a-z]+-\d{4}$/);
      await assert.rejects(apps.create(OWNER, { name: 'my-app' }), refusal(/^Name my-app is already taken\.$/));
      await assert.rejects(apps.create(OWNER, { name: 'My App' }), refusal(/is invalid: it must start with a letter/));
      await assert.rejects(apps.create(OWNER, { stack: 'cedar-14' }), refusal(/^Stack "cedar-14" is not available; this platform runs slipway-12\.$/));
      assert.equal((await apps.create(OWNER, { stack: { name: 'slipway-12' } })).stack, 'slipway-12');
      assert.equal((await apps.list()).length, 3);
      await store.close();
    });

    test('apps per account: created side by side, no more than the limit are made; a refused app leaves no repository; another account is not counted', async () => {
      const { apps, log, store } = await setup({ maxPerAccount: 2 });
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => apps.create(OWNER, { name: `mine-${i}` })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      for (const r of results) if (r.status === 'rejected') assert.ok(refusal(/^You've reached the limit of 2 apps for this account \(SLIPWAY_APPS_PER_ACCOUNT\)\. Delete some apps/)(r.reason), String(r.reason));
      assert.equal(log.filter((l) => l.startsWith('repo- ')).length, 2, 'each refused app\'s repository is removed');
      const t = new Date().toISOString();
      const other = { id: 'acc-2', email: 'other@example.com' };
      await store.db.insertInto('accounts').values({ id: other.id, email: other.email, api_key_hash: 'h2', created_at: t, updated_at: t }).execute();
      assert.equal((await apps.create(other, { name: 'theirs' })).owner_id, other.id);
      const [kept] = (await apps.list()).filter((a) => a.owner_id === OWNER.id);
      await apps.destroy(kept!, OWNER);
      assert.equal((await apps.create(OWNER, { name: 'mine-again' })).name, 'mine-again');
      await store.close();
    });

    test('update: rename moves only the name and tells the router; maintenance is stored and applied', async () => {
      const { apps, log, store } = await setup();
      const a = await apps.create(OWNER, { name: 'old-name' });
      await apps.create(OWNER, { name: 'taken-name' });
      const renamed = await apps.update(a, { name: 'new-name', maintenance: true });
      assert.equal(renamed.id, a.id);
      assert.equal((await apps.find('new-name')).maintenance, 1);
      assert.equal((await apps.byName('old-name')), undefined);
      assert.deepEqual(log.slice(-2), ['renamed new-name', 'maintenance true']);
      await assert.rejects(apps.update(renamed, { name: 'taken-name' }), refusal(/already taken/));
      await assert.rejects(apps.find('old-name'), refusal(/Couldn't find that app/, 404));
      await store.close();
    });

    test('destroy: add-ons first, then dynos, rows with what they own, repository and buffered logs', async () => {
      const { apps, domains, log, store } = await setup();
      const a = await apps.create(OWNER, { name: 'doomed' });
      await domains.add(a, 'www.example.com');
      log.length = 0;
      await apps.destroy(a, OWNER);
      assert.deepEqual(log, [`addons- by ${OWNER.email}`, 'untrack', `repo- ${a.id}`, 'forget']);
      assert.equal(await apps.byName('doomed'), undefined);
      assert.deepEqual(await store.db.selectFrom('domains').selectAll().execute(), []);
      await store.close();
    });

    test('domains: checked, unique across apps, the default host kept; the router gets each app\'s hostnames', async () => {
      const { apps, domains, routed, store } = await setup();
      const a = await apps.create(OWNER, { name: 'one-app' });
      const b = await apps.create(OWNER, { name: 'two-app' });
      const www = await domains.add(a, ' WWW.Example.com. ');
      assert.equal(www.hostname, 'www.example.com');
      assert.equal(www.cname, 'one-app.localhost');
      assert.deepEqual(routed.get(a.id), ['www.example.com']);
      await assert.rejects(domains.add(b, 'www.example.com'), refusal(/already in use by another app: remove it there first \(domains:remove www\.example\.com -a one-app\)/));
      await assert.rejects(domains.add(a, 'www.example.com'), refusal(/already a domain of one-app/));
      await assert.rejects(domains.add(a, 'shop.localhost'), refusal(/under this platform's app domain/));
      await assert.rejects(domains.add(a, 'a.*.example.com'), refusal(/not a valid hostname/));
      await assert.rejects(domains.remove(a, 'one-app.localhost'), refusal(/default domain; it goes away only with the app/));
      await domains.remove(a, 'www.example.com');
      assert.deepEqual(routed.get(a.id), []);
      await store.close();
    });

    test('SNI endpoints: a bad certificate is refused; domains attached to an endpoint are what the router serves it for', async () => {
      const { apps, domains, certs, served, store } = await setup();
      const a = await apps.create(OWNER, { name: 'tls-app' });
      await assert.rejects(certs.add(a, 'not pem', 'key'), refusal(/^certificate_chain is not a PEM certificate\.$/));
      const e = await certs.add(a, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----', 'key');
      await domains.add(a, 'secure.example.com', e.name);
      assert.deepEqual(await certs.domainIds(e), [(await domains.find(a, 'secure.example.com')).id]);
      assert.equal(served.at(-1), `${e.name}:secure.example.com`);
      await domains.setSniEndpoint(a, 'secure.example.com', null);
      assert.equal(served.at(-1), `${e.name}:`);
      await assert.rejects(domains.setSniEndpoint(a, 'secure.example.com', 'no-such-cert'), refusal(/Couldn't find SNI endpoint no-such-cert/, 404));
      await certs.remove(e);
      assert.equal(served.at(-1), `-${e.name}`);
      await store.close();
    });

    test("destroy: a slug another app's release uses outlives its app (handed to the first app that released it); the rest go with it", async () => {
      const { apps, store } = await setup();
      const src = await apps.create(OWNER, { name: 'built-here' });
      const first = await apps.create(OWNER, { name: 'promoted-first' });
      const later = await apps.create(OWNER, { name: 'promoted-later' });
      const t = new Date().toISOString();
      const slug = (id: string) => ({ id, app_id: src.id, blob: 'b'.repeat(64), size: 1, process_types: '{}', commit: null, commit_description: null, stack: 'slipway-12', buildpack_provided_description: null, created_at: t });
      await store.db.insertInto('slugs').values([slug('s-shared'), slug('s-own')]).execute();
      const release = (app: string, v: number, slugId: string, at: string) => ({ id: `${app}-v${v}`, app_id: app, version: v, slug_id: slugId, config: '{}', description: 'x', status: 'succeeded' as const, user_id: OWNER.id, formation: null, created_at: at, updated_at: at });
      await store.db.insertInto('releases').values([
        release(src.id, 1, 's-shared', t), release(src.id, 2, 's-own', t),
        release(first.id, 1, 's-shared', '2026-01-01T00:00:00.000Z'), release(later.id, 1, 's-shared', '2026-01-02T00:00:00.000Z'),
      ]).execute();
      const records = new SlugRecords({ db: store.db, stack: 'slipway-12', blobs: { has: () => true, path: (sha) => sha } });
      assert.equal((await records.find(later.id, 's-shared')).id, 's-shared', 'a slug its release uses is the app\'s to read');
      await assert.rejects(records.find(later.id, 's-own'), /Couldn't find that slug/, 'not one it does not use');
      await apps.destroy(src, OWNER);
      const left = await store.db.selectFrom('slugs').select(['id', 'app_id']).execute();
      assert.deepEqual(left, [{ id: 's-shared', app_id: first.id }]);
      assert.equal((await records.find(later.id, 's-shared')).app_id, first.id);
      await store.close();
    });

    test('update tells of a rename or a maintenance change, with the old values; nothing when nothing changed', async () => {
      const changes: unknown[] = [];
      const { apps, store } = await setup({ onChange: (action, app, user, previous) => changes.push([action, app.name, app.maintenance, user?.email, previous]) });
      const a = await apps.create(OWNER, { name: 'told' });
      const renamed = await apps.update(a, { name: 'told-again', user: OWNER });
      await apps.update(renamed, { maintenance: true });
      await apps.update({ ...renamed, maintenance: 1 }, { maintenance: true });
      assert.deepEqual(changes, [['update', 'told-again', 0, OWNER.email, { name: 'told' }], ['update', 'told-again', 1, undefined, { maintenance: 0 }]]);
      await store.close();
    });
  });
}
