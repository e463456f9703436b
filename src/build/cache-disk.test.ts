// The build cache's image is never mounted twice: a filesystem a build's unmount left lazily unmounted
// (still busy) is live on its loop device, and a second mount of the same blocks corrupts it. Needs root
// (loop mounts); skipped otherwise.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheImage, mountBuildCache, unmountBuildCache } from './cache-disk.ts';

const root = process.getuid?.() === 0 && process.platform === 'linux';

test('a cache still busy from the last build is not mounted again: the next build gets a new image', { skip: !root && 'needs root' }, async () => {
  const base = await mkdtemp(join(tmpdir(), 'slipway-cache-disk-'));
  const dir = join(base, 'cache', 'app');
  let holder: ReturnType<typeof spawn> | undefined;
  try {
    await mountBuildCache(dir, 64 * 1024 ** 2);
    await writeFile(join(dir, 'kept'), 'from the first build');
    await unmountBuildCache(dir);
    // An unchanged, idle cache is mounted again as it was.
    const first = (await stat(cacheImage(dir))).ino;
    await mountBuildCache(dir, 64 * 1024 ** 2);
    assert.equal(await readFile(join(dir, 'kept'), 'utf8'), 'from the first build');
    assert.equal((await stat(cacheImage(dir))).ino, first);
    // A process of the build still holds a file in it: the unmount can only be lazy.
    holder = spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    await unmountBuildCache(dir);
    await mountBuildCache(dir, 64 * 1024 ** 2);
    assert.notEqual((await stat(cacheImage(dir))).ino, first, 'a new image, not the busy one mounted twice');
    await assert.rejects(readFile(join(dir, 'kept'), 'utf8'), /ENOENT/, 'an empty cache: it is a cache');
    await writeFile(join(dir, 'new'), 'usable');
  } finally {
    holder?.kill('SIGKILL');
    await unmountBuildCache(dir).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  }
});
