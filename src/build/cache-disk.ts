// Each app's build cache (`<data>/cache/<app>`, CACHE_DIR in its builds) is a filesystem of its own: a
// sparse ext4 image beside it (`<app>.img`, the loop-mounted kind dynos' /app uses, runtime/disk.ts),
// mounted for the build and unmounted after it, so a build writing past the quota fails with ENOSPC
// and never fills the platform's disk. The image keeps the cache between builds; one of another size
// (the quota changed) or none (a plain directory from before) is made anew, empty: it is a cache.
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { appDiskImageBytes, makeDiskImage, mountDiskImage } from '../runtime/disk.ts';
import { mountsUnder, unmountUnder } from '../runtime/index.ts';

export const cacheImage = (dir: string) => `${dir}.img`;

/** Mounts the app's build cache at `dir` (its quota in bytes); where mounts are not possible, a plain directory. */
export async function mountBuildCache(dir: string, quotaBytes: number): Promise<void> {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') {
    await mkdir(dir, { recursive: true });
    return;
  }
  // A platform killed mid-build left it mounted.
  if ((await mountsUnder(dir)).length > 0) await unmountUnder(dir);
  const image = cacheImage(dir);
  if ((await stat(image).catch(() => undefined))?.size !== appDiskImageBytes(quotaBytes)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
    await makeDiskImage(image, quotaBytes, 'slipway-cache');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mountDiskImage(image, dir);
  // mkfs's lost+found is root's: not something a build should find in its cache.
  await rm(`${dir}/lost+found`, { recursive: true, force: true });
}

export async function unmountBuildCache(dir: string): Promise<void> {
  if (existsSync(dir)) await unmountUnder(dir);
}
