// Tests of the /app disk quota: the image size rule and path matching (pure), then real loop-mounted
// images (root only): the space a quota gives, ENOSPC past it, and that unmounting, detaching and the
// crash sweep leave no loop device or mount behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  APP_DISK_IMAGE, APP_DISK_MOUNT, MIN_APP_DISK_BYTES, appDiskImageBytes, containerOfPath, loopDevices, makeDiskImage, mountAppDisk, mountDiskImage,
  sweepAppDisks,
} from './disk.ts';
import { unmountUnder } from './mounts.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

test('image size: the quota plus ext4 overhead, 4 KiB aligned', () => {
  assert.equal(appDiskImageBytes(100 * MiB), 104 * MiB + 256 * 1024);
  assert.equal(appDiskImageBytes(1024 * MiB), Math.ceil((1024 * MiB * 1.04 + 256 * 1024) / 4096) * 4096);
  assert.equal(appDiskImageBytes(100 * MiB + 1) % 4096, 0);
  assert.ok(appDiskImageBytes(100 * MiB + 1) > 100 * MiB + 1);
});

test('container ids are found in bundle paths of any state dir, by prefix and leaf', () => {
  assert.equal(containerOfPath('/d/runtime/containers/slipway-dyno-1/appfs', 'appfs', 'slipway-'), 'slipway-dyno-1');
  assert.equal(containerOfPath('/x/containers/slipway-a/app.img', 'app.img', 'slipway-'), 'slipway-a');
  assert.equal(containerOfPath('/x/containers/other-a/app.img', 'app.img', 'slipway-'), undefined);
  assert.equal(containerOfPath('/x/bundles/slipway-a/app.img', 'app.img', 'slipway-'), undefined);
  assert.equal(containerOfPath('/x/containers/slipway-a/appfs/upper', 'appfs', 'slipway-'), undefined);
  assert.equal(containerOfPath('app.img', 'app.img', ''), undefined);
});

describe('loop-mounted /app disks', { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
  let dir: string;
  const prefix = `slipway-dtest-${process.pid}-`;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-disk-test-'));
  });

  after(async () => {
    await sweepAppDisks(prefix);
    if (dir) {
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  async function bundle(name: string): Promise<string> {
    const b = path.join(dir, 'containers', `${prefix}${name}`);
    await mkdir(b, { recursive: true });
    return b;
  }

  async function ours(): Promise<string[]> {
    return (await loopDevices()).filter((d) => d.backFile.startsWith(dir)).map((d) => d.name);
  }

  test('at least the quota and at most 3% more is usable, at sizes where ext4 lays out differently', async () => {
    for (const quota of [MIN_APP_DISK_BYTES, 200 * MiB, 600 * MiB, 2048 * MiB]) {
      const b = await bundle(`size-${quota}`);
      const mnt = await mountAppDisk(b, quota);
      const fs = await statfs(mnt);
      await unmountUnder(b);
      const free = fs.bavail * fs.bsize;
      assert.ok(free >= quota && free < quota * 1.03, `quota ${quota}: ${free} free`);
    }
  });

  test('at least the quota is usable, writing past it is ENOSPC; unmounting frees the loop device', async () => {
    const b = await bundle('a');
    const quota = 32 * MiB;
    const mnt = await mountAppDisk(b, quota);
    assert.equal(mnt, path.join(b, APP_DISK_MOUNT));
    const fs = await statfs(mnt);
    assert.ok(fs.bavail * fs.bsize >= quota, `free ${fs.bavail * fs.bsize} >= quota ${quota}`);
    assert.ok(fs.bavail * fs.bsize < quota * 1.03, `free ${fs.bavail * fs.bsize} is close to the quota`);
    assert.equal((await ours()).length, 1, 'one loop device while mounted');
    await assert.rejects(writeFile(path.join(mnt, 'big'), Buffer.alloc(quota * 1.2)), /ENOSPC/);
    const image = (await run('du', ['-k', path.join(b, APP_DISK_IMAGE)])).stdout;
    assert.ok(Number(image.split('\t')[0]) < (quota * 1.2) / 1024, 'the image is sparse');
    await unmountUnder(b);
    assert.deepEqual(await ours(), [], 'autoclear freed the loop device at unmount');
    assert.doesNotMatch(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(b));
  });

  test('a mount that fails says which image and leaves no loop device attached', async () => {
    const b = await bundle('unmountable');
    const image = path.join(b, APP_DISK_IMAGE);
    await makeDiskImage(image, MIN_APP_DISK_BYTES, 'slipway-test');
    // The mount point is a file, so losetup succeeds and the mount itself fails.
    await writeFile(path.join(b, APP_DISK_MOUNT), 'not a directory');
    await assert.rejects(mountDiskImage(image, path.join(b, APP_DISK_MOUNT)), (err: Error) => err.message.includes(image));
    assert.deepEqual(await ours(), [], 'the device was detached');
    assert.doesNotMatch(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(b));
  });

  test('the crash sweep unmounts /app disks and detaches loop devices left without a mount', async () => {
    const mounted = await bundle('b');
    await mountAppDisk(mounted, MIN_APP_DISK_BYTES);
    // A start that died between losetup and mount leaves a device attached to the image.
    const half = await bundle('c');
    await writeFile(path.join(half, APP_DISK_IMAGE), '');
    await run('truncate', ['-s', '16M', path.join(half, APP_DISK_IMAGE)]);
    await run('losetup', ['--find', path.join(half, APP_DISK_IMAGE)]);
    assert.equal((await ours()).length, 2);
    await sweepAppDisks(prefix);
    assert.deepEqual(await ours(), []);
    assert.doesNotMatch(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(prefix));
  });
});
