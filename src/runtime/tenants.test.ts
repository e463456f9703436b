// Tenants' uids: distinct per key, stable per key (also across runtimes sharing a registry), never a
// host account's, and the container's passwd naming the uid `dyno`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { TENANT_UID_BASE, TENANT_UID_SLOTS, TenantUids, firstSlot, passwdUids, tenantAccountFiles, uidInUse } from './tenants.ts';

test('uids: one per key, the same for the same key (also from a second registry reader), all above the base', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tenants-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = new TenantUids(dir, '/nonexistent');
  const keys = Array.from({ length: 50 }, (_, i) => `app-${i}`);
  const users = await Promise.all(keys.map((k) => a.userFor(k)));
  assert.equal(new Set(users.map((u) => u.uid)).size, 50, 'fifty apps, fifty uids');
  for (const u of users) {
    assert.ok(u.uid >= TENANT_UID_BASE && u.uid < TENANT_UID_BASE + TENANT_UID_SLOTS);
    assert.equal(u.gid, u.uid);
  }
  assert.deepEqual(await a.userFor('app-7'), users[7]);
  const b = new TenantUids(dir, '/nonexistent');
  assert.deepEqual(await b.userFor('app-7'), users[7], 'another process finds the claim');
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('.')).length, 0, 'no temporary file is left');
});

test('uids: a slot held by another key, or a host account, is skipped; concurrent claims never share a uid', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tenants-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = TENANT_UID_BASE + firstSlot('victim');
  await writeFile(path.join(dir, String(first)), 'someone-else');
  const passwd = path.join(dir, 'passwd');
  await writeFile(passwd, `root:x:0:0::/root:/bin/bash\nodd:x:${first + 1}:1::/:/bin/sh\n`);
  const u = await new TenantUids(dir, passwd).userFor('victim');
  assert.equal(u.uid, first + 2);
  // Two registries (two platforms) racing for the same keys' slots.
  const [x, y] = [new TenantUids(dir, '/nonexistent'), new TenantUids(dir, '/nonexistent')];
  const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? x : y).userFor(`race-${i >> 1}-${i % 2}`)));
  assert.equal(new Set(got.map((g) => g.uid)).size, 20);
  await assert.rejects(x.userFor('../etc'), /tenant key/);
});

test('release: a destroyed app\'s uid is given back, never while a process runs as it, and reused without breaking a later claim\'s probe', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tenants-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = new TenantUids(dir, '/nonexistent');
  // Two keys on one probe sequence: 'gone' holds the slot 'later' starts at (slots between them held by
  // others), so 'later' is claimed right behind it.
  const start = firstSlot('later');
  let gone = '';
  for (let i = 0; !gone; i++) { const d = (start - firstSlot(`gone-${i}`) + TENANT_UID_SLOTS) % TENANT_UID_SLOTS; if (d < 64) gone = `gone-${i}`; }
  for (let s = firstSlot(gone); s !== start; s = (s + 1) % TENANT_UID_SLOTS) await writeFile(path.join(dir, String(TENANT_UID_BASE + s)), 'someone-else');
  const first = TENANT_UID_BASE + start;
  assert.equal((await reg.userFor(gone)).uid, first);
  const later = await reg.userFor('later');
  assert.equal(later.uid, first + 1);
  // A process running as the uid (a build still going): the claim stays.
  const sleeper = spawn('setpriv', [`--reuid=${first}`, `--regid=${first}`, '--clear-groups', 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => { sleeper.kill('SIGKILL'); });
  for (let i = 0; i < 100 && !(await uidInUse(first)); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await uidInUse(first), true);
  assert.equal(await reg.release(gone), false);
  assert.equal(await readFile(path.join(dir, String(first)), 'utf8'), gone);
  sleeper.kill('SIGKILL');
  await new Promise((r) => sleeper.once('exit', r));
  assert.equal(await reg.release(gone), true);
  assert.notEqual(await readFile(path.join(dir, String(first)), 'utf8'), gone, 'the claim is gone');
  // The slot is not empty: 'later' still finds its own uid past it (a fresh reader, nothing cached).
  assert.deepEqual(await new TenantUids(dir, '/nonexistent').userFor('later'), later);
  // A key on that sequence (the released one, claimed anew by two readers at once) takes the released
  // uid, once.
  const [x, y] = await Promise.all([new TenantUids(dir, '/nonexistent').userFor(gone), new TenantUids(dir, '/nonexistent').userFor(gone)]);
  assert.deepEqual(x, y);
  assert.equal(x.uid, first);
  assert.equal((await readdir(dir)).filter((f) => f.startsWith('.')).length, 0, 'no temporary file or lock is left');
  assert.equal(await reg.release('never-claimed'), true);
});

test('passwd: host uids parsed; the container\'s files name the tenant uid dyno and keep the rest', () => {
  assert.deepEqual([...passwdUids('root:x:0:0::/root:/bin/bash\nme:x:1000:1000::/home/me:/bin/bash\n')], [0, 1000]);
  const f = tenantAccountFiles('root:x:0:0:root:/root:/bin/bash\ndyno:x:1000:1000:Slipway dyno:/app:/bin/bash\n', 'root:x:0:\ndyno:x:1000:\n', { uid: 1_500_000_009, gid: 1_500_000_009 });
  assert.equal(f.passwd, 'root:x:0:0:root:/root:/bin/bash\ndyno:x:1500000009:1500000009::/app:/bin/bash\n');
  assert.equal(f.group, 'root:x:0:\ndyno:x:1500000009:\n');
});
