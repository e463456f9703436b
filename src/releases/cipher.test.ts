import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigCipher } from './cipher.ts';

test('values round-trip, never appear in what is stored, and differ each time', () => {
  const c = ConfigCipher.fromKey(randomBytes(32));
  const value = 'two words=1 ✓\nsecond line';
  const a = c.encrypt(value);
  assert.ok(ConfigCipher.isEncrypted(a));
  assert.ok(!a.includes('two words'));
  assert.notEqual(a, c.encrypt(value));
  assert.equal(c.decrypt(a), value);
  assert.deepEqual(c.decryptMap(c.encryptMap({ K: value })), { K: value });
  assert.equal(c.decrypt('plain, from before encryption'), 'plain, from before encryption');
});

test('a tampered value or another key is refused, not misread', () => {
  const c = ConfigCipher.fromKey(randomBytes(32));
  const stored = c.encrypt('secret');
  const flipped = stored.slice(0, -2) + (stored.at(-2) === 'A' ? 'B' : 'A') + stored.at(-1);
  assert.throws(() => c.decrypt(flipped));
  assert.throws(() => ConfigCipher.fromKey(randomBytes(32)).decrypt(stored));
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
    assert.equal(b.decrypt(a.encrypt('x')), 'x');
    assert.ok(a.verify('slug:1', a.sign('slug:1')));
    assert.ok(!a.verify('slug:2', a.sign('slug:1')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
