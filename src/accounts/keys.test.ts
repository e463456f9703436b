import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PlatformError } from '../errors.ts';
import { openStore } from '../store/index.ts';
import { Accounts } from './index.ts';
import { md5Fingerprint, parsePublicKey, SshKeys } from './keys.ts';

const run = promisify(execFile);

test('parsePublicKey reads what ssh-keygen writes, and its fingerprint is the one ssh-keygen -E md5 shows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-keys-'));
  try {
    for (const [type, bits] of [['ed25519', ''], ['rsa', '2048'], ['ecdsa', '256']] as const) {
      const file = join(dir, type);
      await run('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', bits] : []), '-N', '', '-C', `me@${type}`, '-f', file]);
      const k = parsePublicKey(await readFile(`${file}.pub`, 'utf8'));
      assert.equal(k.comment, `me@${type}`);
      const shown = (await run('ssh-keygen', ['-l', '-E', 'md5', '-f', `${file}.pub`])).stdout;
      assert.ok(shown.includes(`MD5:${md5Fingerprint(k.blob)}`), shown);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('parsePublicKey refuses what is not one public key, saying what to give', () => {
  const refused = (text: string, message: RegExp) => assert.throws(() => parsePublicKey(text), (e: unknown) => e instanceof PlatformError && e.status === 422 && message.test(e.message));
  refused('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----', /private key/);
  refused('ssh-dss AAAAB3NzaC1kc3MAAACBAP', /Unsupported key type/);
  refused('ssh-ed25519 not!base64', /base64/);
  // The blob names another type than the line: a pasted mix-up or a crafted key.
  refused(`ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.alloc(8)]).toString('base64')}`, /does not match its type/);
  refused(`ssh-ed25519 ${Buffer.from([0, 0, 0xff, 0xff]).toString('base64')}`, /does not match/);
  refused('ssh-ed25519 AAAA\nssh-ed25519 AAAA', /one line/);
  refused(`ssh-ed25519 ${'A'.repeat(20_000)}`, /longer than/);
});

test('a key logs its owner in over SSH only while the account is enabled', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-keys-'));
  const { db, close } = openStore(':memory:');
  try {
    const bob = await new Accounts({ db }).create('bob@example.com', 'correct horse battery staple');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', join(dir, 'k')]);
    const text = await readFile(join(dir, 'k.pub'), 'utf8');
    const keys = new SshKeys({ db });
    await keys.add({ id: bob.id, email: bob.email }, text);
    const { type, blob } = parsePublicKey(text);
    assert.equal((await keys.owner(type, blob))?.email, 'bob@example.com');
    await db.updateTable('accounts').set({ disabled_at: new Date().toISOString() }).where('id', '=', bob.id).execute();
    assert.equal(await keys.owner(type, blob), undefined, 'a disabled account\'s key opens nothing');
  } finally {
    await close();
    await rm(dir, { recursive: true, force: true });
  }
});
