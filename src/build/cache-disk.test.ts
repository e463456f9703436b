// The build cache's image is never attached twice: a filesystem a build's unmount left lazily unmounted
// (still busy) is live on its loop device, and a second filesystem on the same blocks corrupts it; the
// live one is mounted again instead. Needs root (loop mounts); skipped otherwise.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cacheImage, mountBuildCache, unmountBuildCache } from './cache-disk.ts';

const root = process.getuid?.() === 0 && process.platform === 'linux';

/** The loop devices the image file is attached to (as losetup lists them). */
async function devicesOf(image: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE']);
  return stdout.split('\n').filter((l) => l.trim().split(/\s+/)[1] === image);
}

test('a cache still live from the last build (busy at its unmount) is mounted as it is, never attached twice', { skip: !root && 'needs root' }, async () => {
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
    assert.equal((await devicesOf(cacheImage(dir))).length, 1, 'still live on its loop device');
    await mountBuildCache(dir, 64 * 1024 ** 2);
    assert.equal((await devicesOf(cacheImage(dir))).length, 1, 'the live filesystem mounted again, not the image attached twice');
    assert.equal((await stat(cacheImage(dir))).ino, first);
    assert.equal(await readFile(join(dir, 'kept'), 'utf8'), 'from the first build', 'the cache is kept');
    await writeFile(join(dir, 'new'), 'usable');
  } finally {
    holder?.kill('SIGKILL');
    await unmountBuildCache(dir).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  }
});
