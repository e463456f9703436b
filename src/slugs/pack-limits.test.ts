// The host-side pack is bounded: a build dir whose files read as far more than they hold (a sparse
// file) stops at the build's deadline, leaving no file behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packSlug } from './index.ts';

test('a pack past its deadline stops and leaves no file', { timeout: 120_000 }, async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'slug-deadline-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const app = join(root, 'app');
  await mkdir(app);
  await writeFile(join(app, 'huge'), '');
  // 3 GiB of holes, under the unpack limit (which refuses larger apparent sizes before any pack): tens of
  // seconds of tar and gzip, far past the deadline.
  await truncate(join(app, 'huge'), 3 * 1024 ** 3);
  // A build dir belongs to the app's user, never root (a pack refuses root-owned entries).
  if (process.getuid?.() === 0) execFileSync('chown', ['-hR', '1000:1000', app]);
  const out = join(root, 'slug.tgz');
  await assert.rejects(packSlug(app, out, { signal: AbortSignal.timeout(1000) }), (e: Error) => e.name === 'TimeoutError' || e.name === 'AbortError');
  assert.deepEqual((await readdir(root)).sort(), ['app']);
});
