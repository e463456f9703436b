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
import { runCommand } from '../supervise/command.ts';

export const cacheImage = (dir: string) => `${dir}.img`;
/** As runtime/disk.ts mounts its images. */
const MOUNT_OPTIONS = 'noinit_itable,nosuid,nodev,noatime';

/** Mounts the app's build cache at `dir` (its quota in bytes); where mounts are not possible, a plain directory. */
export async function mountBuildCache(dir: string, quotaBytes: number): Promise<void> {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') {
    await mkdir(dir, { recursive: true });
    return;
  }
  // A platform killed mid-build left it mounted.
  if ((await mountsUnder(dir)).length > 0) await unmountUnder(dir);
  const image = cacheImage(dir);
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  // A build's unmount that found the filesystem busy (a mount namespace of one of its containers not
  // gone yet) left it lazily unmounted, still live on its loop device. Attaching the image to a second
  // loop device would run two filesystems on the same blocks, which corrupts it (ext4 checksum errors,
  // "Bad message" in the next build): mount the live one instead (the kernel shares its superblock).
  const live = await liveDevice(image);
  if (live) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (await runCommand('mount', ['-t', 'ext4', '-o', MOUNT_OPTIONS, live, dir]).then(() => true, () => false)) return;
  }
  // Gone meanwhile, or live and not mountable: then a new, empty image (the old one goes with its users).
  if ((live && (await liveDevice(image))) || (await stat(image).catch(() => undefined))?.size !== appDiskImageBytes(quotaBytes)) {
    await rm(image, { force: true });
    await rm(dir, { recursive: true, force: true });
    await makeDiskImage(image, quotaBytes, 'slipway-cache');
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mountDiskImage(image, dir);
  // mkfs's lost+found is root's: not something a build should find in its cache.
  await rm(`${dir}/lost+found`, { recursive: true, force: true });
}

/** The loop device this very image file (path and inode) is attached to, if any. */
async function liveDevice(image: string): Promise<string | undefined> {
  const ino = (await stat(image).catch(() => undefined))?.ino;
  if (ino === undefined) return undefined;
  const out = await runCommand('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE,BACK-INO']).then((r) => r.stdout, () => '');
  const devices = out.trim() ? (JSON.parse(out) as { loopdevices?: { name: string; 'back-file'?: string | null; 'back-ino'?: number | string | null }[] }).loopdevices ?? [] : [];
  return devices.find((d) => (d['back-file'] ?? '').replace(/ \(deleted\)$/, '') === image && Number(d['back-ino']) === ino)?.name;
}

export async function unmountBuildCache(dir: string): Promise<void> {
  if (existsSync(dir)) await unmountUnder(dir);
}
