import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../store/index.ts';
import { aad, ConfigCipher, SecretError } from './cipher.ts';
import { migrateSecrets } from './secrets-migration.ts';

const ROW = aad.configVar('app-1', 'K');

/** What the version before this one stored: `enc:v1:` under the raw secret, no associated data. */
function legacyEncrypt(secret: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', secret, iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `enc:v1:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${body.toString('base64')}`;
}

test('values round-trip, never appear in what is stored, and differ each time', () => {
  const c = ConfigCipher.fromKey(randomBytes(32));
  const value = 'two words=1 ✓\nsecond line';
  const a = c.encrypt(value, ROW);
  assert.ok(ConfigCipher.isEncrypted(a));
  assert.ok(!a.includes('two words'));
  assert.notEqual(a, c.encrypt(value, ROW));
  assert.equal(c.decrypt(a, ROW), value);
  const snapshot = aad.releaseConfig({ app_id: 'app-1', id: 'r1' });
  assert.deepEqual(c.decryptMap(c.encryptMap({ K: value }, snapshot), snapshot), { K: value });
});

test('a ciphertext moved to another row, another app, or tampered with is refused, not misread', () => {
  const c = ConfigCipher.fromKey(randomBytes(32));
  const stored = c.encrypt('secret', ROW);
  assert.throws(() => c.decrypt(stored, aad.configVar('app-1', 'OTHER')), SecretError);
  assert.throws(() => c.decrypt(stored, aad.configVar('app-2', 'K')), SecretError);
  assert.throws(() => c.decrypt(stored, aad.drainUrl({ app_id: 'app-1', id: 'K' })), SecretError);
  const flipped = stored.slice(0, -2) + (stored.at(-2) === 'A' ? 'B' : 'A') + stored.at(-1);
  assert.throws(() => c.decrypt(flipped, ROW), SecretError);
  assert.throws(() => ConfigCipher.fromKey(randomBytes(32)).decrypt(stored, ROW), SecretError);
  // Plain and old-format values are read by the migration only.
  assert.throws(() => c.decrypt('plain, from before encryption', ROW), SecretError);
});

test('encryption and URL signing use different keys derived from the one secret', () => {
  const secret = randomBytes(32);
  const c = ConfigCipher.fromKey(secret);
  // The old scheme signed with the raw secret; a signature made that way (or with the secret itself) is refused.
  const raw = createHmac('sha256', secret).update('url:slug:1').digest('base64url');
  assert.ok(!c.verify('slug:1', raw));
  assert.ok(c.verify('slug:1', c.sign('slug:1')));
  // And the raw secret no longer decrypts what is stored (it is not the encryption key).
  assert.throws(() => ConfigCipher.fromKey(secret).decryptLegacy(c.encrypt('x', ROW).replace('enc:v2:', 'enc:v1:')), SecretError);
  assert.equal(c.decryptLegacy(legacyEncrypt(secret, 'old value')), 'old value');
});

test('the key file is made once, mode 0600, and reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-cipher-'));
  try {
    const file = join(dir, 'secrets', 'config.key');
    const a = await ConfigCipher.open(file);
    const key = await readFile(file, 'utf8');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const b = await ConfigCipher.open(file);
    assert.equal(await readFile(file, 'utf8'), key);
    assert.equal(b.decrypt(a.encrypt('x', ROW), ROW), 'x');
    assert.ok(a.verify('slug:1', a.sign('slug:1')));
    assert.ok(!a.verify('slug:2', a.sign('slug:1')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the migration re-encrypts plain and v1 values once, each bound to its row', async () => {
  const secret = randomBytes(32);
  const c = ConfigCipher.fromKey(secret);
  const store = openStore(':memory:');
  const { db } = store;
  const t = new Date().toISOString();
  await db.insertInto('accounts').values({ id: 'acct', email: 'o@example.com', api_key_hash: 'h', created_at: t, updated_at: t }).execute();
  await db.insertInto('apps').values({ id: 'app-1', name: 'a', owner_id: 'acct', stack: 's', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
  await db.insertInto('config_vars').values([{ app_id: 'app-1', key: 'PLAIN', value: 'plain-value' }, { app_id: 'app-1', key: 'OLD', value: legacyEncrypt(secret, 'v1-value') }]).execute();
  await db.insertInto('releases').values({ id: 'r1', app_id: 'app-1', version: 1, slug_id: null, config: legacyEncrypt(secret, '{"OLD":"v1-value"}'), description: 'd', status: 'succeeded', user_id: 'acct', created_at: t, updated_at: t }).execute();
  await db.insertInto('addons').values({ id: 'ad1', name: 'postgresql-x-1', app_id: 'app-1', service: 'heroku-postgresql', plan: 'essential-0', state: 'provisioned', config: '{"URL":"postgres://u:pw-123@h/d"}', resource: '{"password":"pw-123"}', created_at: t, updated_at: t }).execute();
  await db.insertInto('sni_endpoints').values({ id: 'e1', app_id: 'app-1', name: 'tokyo-1', certificate_chain: 'CERT', private_key: 'PRIVATE KEY', created_at: t, updated_at: t }).execute();
  await db.insertInto('log_drains').values({ id: 'd1', app_id: 'app-1', url: 'https://user:drainpw@logs.example/x', token: 'd.1', created_at: t, updated_at: t }).execute();
  try {
    assert.equal(await migrateSecrets(db, c), 7);
    const vars = await db.selectFrom('config_vars').selectAll().orderBy('key').execute();
    assert.deepEqual(vars.map((v) => c.decrypt(v.value, aad.configVar(v.app_id, v.key))), ['v1-value', 'plain-value']);
    const release = await db.selectFrom('releases').selectAll().executeTakeFirstOrThrow();
    assert.deepEqual(c.decryptMap(release.config, aad.releaseConfig(release)), { OLD: 'v1-value' });
    const addon = await db.selectFrom('addons').selectAll().executeTakeFirstOrThrow();
    assert.ok(!addon.config.includes('pw-123') && !addon.resource.includes('pw-123'));
    assert.equal(c.decrypt(addon.resource, aad.addon(addon, 'resource')), '{"password":"pw-123"}');
    // The config's ciphertext copied into the resource column does not read there.
    assert.throws(() => c.decrypt(addon.config, aad.addon(addon, 'resource')), SecretError);
    const endpoint = await db.selectFrom('sni_endpoints').selectAll().executeTakeFirstOrThrow();
    assert.equal(c.decrypt(endpoint.private_key, aad.sniKey(endpoint)), 'PRIVATE KEY');
    const drain = await db.selectFrom('log_drains').selectAll().executeTakeFirstOrThrow();
    assert.equal(c.decrypt(drain.url, aad.drainUrl(drain)), 'https://user:drainpw@logs.example/x');
    // Recorded: a second start does nothing, even to a value written in clear afterwards.
    await db.updateTable('config_vars').set({ value: 'written-later' }).where('key', '=', 'PLAIN').execute();
    assert.equal(await migrateSecrets(db, c), 0);
    const later = await db.selectFrom('config_vars').select('value').where('key', '=', 'PLAIN').executeTakeFirstOrThrow();
    assert.equal(later.value, 'written-later');
  } finally {
    await store.close();
  }
});
