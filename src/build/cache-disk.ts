// Each app's build cache (`<data>/cache/<app>`, CACHE_DIR in its builds) is a filesystem of its own: a
// sparse ext4 image beside it (`<app>.img`, the loop-mounted kind dynos' /app uses, runtime/disk.ts),
// mounted for the build and unmounted after it, so a build writing past the quota fails with ENOSPC
// and never fills the platform's disk. The image keeps the cache between builds; one of another size
// (the quota changed) or none (a plain directory from before) is made anew, empty: it is a cache.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { appDiskImageBytes, makeDiskImage, mountDiskImage } from '../runtime/disk.ts';
import { mountsUnder, unmountUnder } from '../runtime/index.ts';

export const cacheImage = (dir: string) => `${dir}.img`;
const execFileP = promisify(execFile);

/** Mounts the app's build cache at `dir` (its quota in bytes); where mounts are not possible, a plain directory. */
export async function mountBuildCache(dir: string, quotaBytes: number): Promise<void> {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') {
    await mkdir(dir, { recursive: true });
    return;
  }
  // A platform killed mid-build left it mounted.
  if ((await mountsUnder(dir)).length > 0) await unmountUnder(dir);
  const image = cacheImage(dir);
  // A build's unmount that found the filesystem busy left it lazily unmounted, still live on its loop
  // device until the last user lets go. Mounting the image again meanwhile would run two filesystems on
  // the same blocks, which corrupts it (ext4 checksum errors, "Bad message" in the next build): wait a
  // little for it to go, else start this build on a new, empty image (the old one goes with its users).
  const stale = await stillAttached(image);
  if (stale || (await stat(image).catch(() => undefined))?.size !== appDiskImageBytes(quotaBytes)) {
    await rm(image, { force: true });
    await rm(dir, { recursive: true, force: true });
    await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
    await makeDiskImage(image, quotaBytes, 'slipway-cache');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mountDiskImage(image, dir);
  // mkfs's lost+found is root's: not something a build should find in its cache.
  await rm(`${dir}/lost+found`, { recursive: true, force: true });
}

/** Whether this very image file (path and inode) is still on a loop device after waiting up to 3 s for it to be let go. */
async function stillAttached(image: string): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    const ino = (await stat(image).catch(() => undefined))?.ino;
    if (ino === undefined) return false;
    const out = await execFileP('losetup', ['--list', '--json', '--output', 'BACK-FILE,BACK-INO']).then((r) => r.stdout, () => '');
    const devices = out.trim() ? (JSON.parse(out) as { loopdevices?: { 'back-file'?: string | null; 'back-ino'?: number | string | null }[] }).loopdevices ?? [] : [];
    if (!devices.some((d) => (d['back-file'] ?? '').replace(/ \(deleted\)$/, '') === image && Number(d['back-ino']) === ino)) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

export async function unmountBuildCache(dir: string): Promise<void> {
  if (existsSync(dir)) await unmountUnder(dir);
}
