import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore } from '../store/index.ts';
import { BackupError, createBackup, restoreBackup } from './index.ts';

let root: string;
let data: string;
let archive: string;
const passphrase = 'correct horse battery staple';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-backup-unit-'));
  data = join(root, 'data');
  await mkdir(data, { recursive: true });
  await openStore(join(data, 'slipway.db')).close();
  await mkdir(join(data, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(data, 'blobs', 'sha256', 'abc'), 'slug bytes');
  await mkdir(join(data, 'repos', 'app.git', 'refs', 'heads'), { recursive: true });
  await writeFile(join(data, 'repos', 'app.git', 'HEAD'), 'ref: refs/heads/main\n');
  await mkdir(join(data, 'secrets'), { mode: 0o700 });
  await writeFile(join(data, 'secrets', 'config.key'), 'THE-CONFIG-KEY-IN-CLEAR', { mode: 0o600 });
  await writeFile(join(data, 'operator.key'), 'THE-OPERATOR-KEY\n', { mode: 0o600 });
  await mkdir(join(data, 'runtime'));
  await writeFile(join(data, 'runtime', 'state'), 'not carried');
  archive = join(root, 'out', 'platform.backup');
  await createBackup({ dataDir: data, to: archive, passphrase });
});
after(() => rm(root, { recursive: true, force: true }));

test('the archive never holds a secret in clear, nor leaves its staging behind', async () => {
  const bytes = execFileSync('tar', ['-xzOf', archive]).toString('latin1');
  assert.ok(!bytes.includes('THE-CONFIG-KEY-IN-CLEAR'));
  assert.ok(!bytes.includes('THE-OPERATOR-KEY'));
  assert.ok(bytes.includes('slug bytes'));
  assert.equal(((await stat(archive)).mode & 0o777).toString(8), '600');
  assert.deepEqual((await readdir(data)).filter((n) => n.startsWith('.backup-')), []);
  assert.deepEqual((await readdir(join(root, 'out'))).sort(), ['platform.backup']);
});

test('restored into an empty dir: the same files and secrets, runtime state left behind', async () => {
  const into = join(root, 'restored');
  await restoreBackup({ archive, dataDir: into, passphrase });
  assert.equal(await readFile(join(into, 'secrets', 'config.key'), 'utf8'), 'THE-CONFIG-KEY-IN-CLEAR');
  assert.equal(await readFile(join(into, 'operator.key'), 'utf8'), 'THE-OPERATOR-KEY\n');
  assert.equal(await readFile(join(into, 'blobs', 'sha256', 'abc'), 'utf8'), 'slug bytes');
  assert.ok((await stat(join(into, 'repos', 'app.git', 'refs', 'heads'))).isDirectory(), 'empty directories come back');
  assert.ok(!(await readdir(into)).includes('runtime'));
  const store = openStore(join(into, 'slipway.db'));
  await store.close();
  // A second restore onto it is refused: nothing is overwritten.
  await assert.rejects(restoreBackup({ archive, dataDir: into, passphrase }), /is not empty/);
});

async function refused(file: string, pass: string, why: RegExp): Promise<void> {
  const into = join(root, `refused-${Math.random().toString(36).slice(2)}`);
  await mkdir(into);
  await assert.rejects(restoreBackup({ archive: file, dataDir: into, passphrase: pass }), (err: Error) => err instanceof BackupError && why.test(err.message));
  assert.deepEqual(await readdir(into), [], 'nothing written');
  assert.deepEqual((await readdir(root)).filter((n) => n.startsWith('.slipway-restore-')), [], 'no staging left');
}

test('a wrong passphrase, a truncated archive and an altered one are refused before anything is written', async () => {
  await refused(archive, 'wrong', /passphrase does not open/);
  const cut = join(root, 'cut.backup');
  await writeFile(cut, await readFile(archive));
  await truncate(cut, Math.floor((await stat(cut)).size * 0.6));
  await refused(cut, passphrase, /damaged or truncated/);
  // A blob changed inside the archive (repacked whole): its checksum no longer matches.
  const work = join(root, 'alter');
  await mkdir(work);
  execFileSync('tar', ['-xzf', archive, '-C', work]);
  await writeFile(join(work, 'data', 'blobs', 'sha256', 'abc'), 'evil bytes');
  const altered = join(root, 'altered.backup');
  execFileSync('tar', ['-czf', altered, '-C', work, 'manifest.json', 'secrets.enc', 'data', 'addons']);
  await refused(altered, passphrase, /does not match its checksum/);
  // The manifest changed to match: the sealed secrets no longer open (the manifest is their associated data).
  const m = JSON.parse(await readFile(join(work, 'manifest.json'), 'utf8'));
  m.files['data/blobs/sha256/abc'] = { sha256: execFileSync('sha256sum', [join(work, 'data', 'blobs', 'sha256', 'abc')]).toString().split(' ')[0], size: 10 };
  await writeFile(join(work, 'manifest.json'), JSON.stringify(m));
  execFileSync('tar', ['-czf', altered, '-C', work, 'manifest.json', 'secrets.enc', 'data', 'addons']);
  await refused(altered, passphrase, /passphrase does not open this archive \(wrong passphrase, or the archive was altered\)/);
  await refused(join(root, 'nope.backup'), passphrase, /is not a file/);
});
