// The per-container disk quota for /app's writable layer: a sparse ext4 image in the bundle dir,
// loop-mounted on the host at <bundle>/appfs, holding the overlay's upper and work dirs, so a dyno's
// writes to /app fail with ENOSPC at the quota and never fill the platform's disk.
//
// Why this and not the alternatives: tmpfs would charge the files to the dyno's memory; a project quota
// (ext4/XFS `prjquota`) needs the data dir's filesystem made and mounted for it, which this machine's
// root (ext4, `noquota`) is not, and a platform cannot assume. Cost, measured here: mkfs, losetup,
// mount and detach together 15-19 ms for 512 MiB to 8 GiB (no journal: the layer is discarded on
// restart anyway; inode tables not zeroed because a fresh sparse file already reads as zeros), run
// alongside the network setup so it adds little to a start (in one shell: mountImage); unmount ~6 ms; on disk only what is
// written plus 170-290 KiB of metadata. The loop device runs with direct I/O, so the
// image's blocks are not cached a second time in the host's page cache (writes are cached once, in the
// ext4 inside, charged to the dyno's memory cgroup as they would be on any disk).
//
// Lifetime: the loop device is detached right after mounting, which the kernel turns into
// "free on unmount" (autoclear); unmounting <bundle>/appfs (runc.ts does, before deleting the bundle)
// frees it. sweepAppDisks() removes mounts and loop devices a crash left, found by their paths.
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unescapeMountPath } from './mounts.ts';
import { runCommand as run } from '../supervise/command.ts';

const TOOL_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export const APP_DISK_IMAGE = 'app.img';
export const APP_DISK_MOUNT = 'appfs';
/** Below this, ext4's own metadata dominates and the quota means little. */
export const MIN_APP_DISK_BYTES = 16 * 1024 * 1024;

/**
 * The image size that leaves at least `appDiskBytes` free for files. With the mkfs options below (4 KiB
 * blocks and an inode per 16 KiB at every size, no resize reserve), ext4's inode tables, bitmaps and
 * descriptors take 3.75% of a small filesystem and less of a large one (measured: 16-512 MiB 3.6-3.75%,
 * 1 GiB 3.1%, 16 GiB 1.7%), so 4% more plus 256 KiB gives the quota or up to ~2% more, never less
 * (checked at 33 sizes from 16 MiB to 5 GiB, either side of each layout change: 0.3% to 2.1% more).
 */
export function appDiskImageBytes(appDiskBytes: number): number {
  const raw = Math.ceil(appDiskBytes * 1.04) + 256 * 1024;
  return Math.ceil(raw / 4096) * 4096;
}

/** Makes and mounts the container's /app disk; resolves with the mount point (upper/work go inside). */
export async function mountAppDisk(bundle: string, appDiskBytes: number): Promise<string> {
  const image = path.join(bundle, APP_DISK_IMAGE);
  const mountPoint = path.join(bundle, APP_DISK_MOUNT);
  await sparseImage(image, appDiskBytes);
  await mkdir(mountPoint, { mode: 0o700 });
  await mountImage(image, mountPoint, mkfsOptions('slipway-app'));
  return mountPoint;
}

/** A sparse ext4 image at `image` with at least `bytes` free for files (replacing any file there). */
export async function makeDiskImage(image: string, bytes: number, label: string): Promise<void> {
  await sparseImage(image, bytes);
  await tool('mkfs.ext4', [...mkfsOptions(label), image]);
}

async function sparseImage(image: string, bytes: number): Promise<void> {
  await writeFile(image, '', { mode: 0o600 });
  await truncate(image, appDiskImageBytes(bytes));
}

/**
 * Fixed geometry (mke2fs would pick 1 KiB blocks and 2.5x the inodes below 512 MiB) so the overhead is
 * predictable; no reserved blocks (they only serve root, and dynos never run as root).
 */
function mkfsOptions(label: string): string[] {
  return [
    '-q', '-F', '-b', '4096', '-i', '16384', '-I', '256', '-O', '^has_journal,^resize_inode', '-m', '0',
    '-L', label, '-E', 'lazy_itable_init=1,nodiscard,assume_storage_prezeroed=1',
  ];
}

/** Loop-mounts an image made by makeDiskImage (nosuid, nodev); the loop device goes with the unmount. */
export async function mountDiskImage(image: string, mountPoint: string): Promise<void> {
  await mountImage(image, mountPoint, []);
}

/**
 * mkfs (when given its options), losetup, mount and the detach in one shell: the platform forks once
 * for the four. Each spawn costs the platform's process CPU to fork its whole address space (about
 * 1.3 ms at 100 MB resident, more as it grows), paid for every tool of every start when scaling to 80
 * (docs/decisions.md, "Scaling to 80"); the shell's own forks are cheap. The values are the shell's arguments, never part of its script. Mounted, the detached
 * device is freed by the kernel at unmount (autoclear); not mounted, it is freed at once.
 */
const MOUNT_IMAGE = `set -e
image=$1 mountpoint=$2
shift 2
if [ "$#" -gt 0 ]; then mkfs.ext4 "$@" "$image"; fi
device=$(losetup --find --show --direct-io=on "$image")
mount -t ext4 -o noinit_itable,nosuid,nodev,noatime "$device" "$mountpoint" || { status=$?; losetup --detach "$device"; exit "$status"; }
losetup --detach "$device"`;

async function mountImage(image: string, mountPoint: string, mkfs: string[]): Promise<void> {
  try {
    await run('/bin/sh', ['-c', MOUNT_IMAGE, 'sh', image, mountPoint, ...mkfs], { env: TOOL_ENV });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${mkfs.length ? 'making and mounting' : 'mounting'} the disk image ${image}: ${(e.stderr || e.message).trim()}`);
  }
}

export interface LoopDevice {
  name: string;
  backFile: string;
}

/** Attached loop devices and their backing files (` (deleted)` stripped). */
export async function loopDevices(): Promise<LoopDevice[]> {
  const out = await tool('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']).catch(() => '');
  if (!out.trim()) return [];
  const parsed = JSON.parse(out) as { loopdevices?: { name: string; 'back-file'?: string | null }[] };
  return (parsed.loopdevices ?? []).map((d) => ({ name: d.name, backFile: (d['back-file'] ?? '').replace(/ \(deleted\)$/, '') }));
}

/** The container id in a path `.../containers/<id>/<leaf>`, if it has that shape and the id the prefix. */
export function containerOfPath(p: string, leaf: string, prefix: string): string | undefined {
  const parts = p.split('/');
  const n = parts.length;
  if (n < 3 || parts[n - 1] !== leaf || parts[n - 3] !== 'containers') return undefined;
  return parts[n - 2]!.startsWith(prefix) ? parts[n - 2] : undefined;
}

/**
 * Detaches loop devices backed by `image` (left attached when a start died between losetup and mount)
 * and waits, up to 2 s, until none is: the kernel frees an autoclear device after its unmount, and
 * under load that comes a moment later (found by a test's leftover check that saw it still there).
 */
export async function detachLoops(image: string): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const left = (await loopDevices()).filter((d) => d.backFile === image);
    if (left.length === 0) return;
    for (const d of left) await tool('losetup', ['--detach', d.name]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Unmounts /app disks and detaches their loop devices for every container id with `prefix`, wherever
 * its state dir is (even deleted): what a crashed platform left. Busy mounts are detached lazily.
 */
export async function sweepAppDisks(prefix: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const points = info.split('\n').map((l) => unescapeMountPath(l.split(' ')[4] ?? '').replace(/\/\/deleted$/, ''))
    .filter((p) => containerOfPath(p, APP_DISK_MOUNT, prefix) !== undefined);
  for (const p of points) {
    await tool('umount', [p]).catch(() => tool('umount', ['-l', p])).catch(() => undefined);
  }
  for (const d of await loopDevices()) {
    if (containerOfPath(d.backFile, APP_DISK_IMAGE, prefix) !== undefined) {
      await tool('losetup', ['--detach', d.name]).catch(() => undefined);
    }
  }
}

async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { env: TOOL_ENV })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}
