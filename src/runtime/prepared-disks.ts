// /app disks (disk.ts) made and mounted ahead of the dyno starts that take them, per size. A prepared
// disk is a directory shaped like a container's bundle, `<containers>/<prefix>disk-<random>/` holding
// `app.img` mounted at `appfs`; a start renames the whole directory to its own bundle (the mount moves
// with its parent directory), so from then on it is that container's disk exactly as if the start had
// made it, and goes with the container. A prepared disk is a fresh file system that no container has
// seen; nothing is ever given back to the pool. Being bundle-shaped and named with the platform's
// container prefix, a disk left by a crash is found by cleanup(prefix) and sweepAppDisks like any
// container's.
//
// Bound: `size` idle disks for each of the last MAX_SIZES sizes asked for (dyno sizes are few; most
// apps use one); a size not asked for lately is drained.
import { randomBytes } from 'node:crypto';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { APP_DISK_IMAGE, APP_DISK_MOUNT, detachLoops, mountAppDisk } from './disk.ts';
import { unmountUnder } from './mounts.ts';
import { PreparedPool } from './prepared.ts';

const MAX_SIZES = 2;
/** Disks kept ready per size. */
export const DEFAULT_DISK_POOL = 4;

export interface PreparedDisksOptions {
  /** The runtime's bundles dir (`<stateDir>/containers`). */
  containersDir: string;
  /** Starts every prepared disk's name; must start with the platform's container prefix. */
  prefix: string;
  size?: number;
  onError(err: Error): void;
}

export class PreparedDisks {
  /** By size in bytes, least recently asked first. */
  private readonly pools = new Map<number, PreparedPool<string>>();

  constructor(private readonly o: PreparedDisksOptions) {}

  /** A prepared disk's directory for a dyno with `bytes` of /app disk, or undefined (make one then). */
  async take(bytes: number): Promise<string | undefined> {
    let pool = this.pools.get(bytes);
    this.pools.delete(bytes);
    pool ??= new PreparedPool<string>({
      size: this.o.size ?? DEFAULT_DISK_POOL,
      make: () => this.make(bytes),
      discard: (dir) => discardDisk(dir),
      // Mounted, its root shows ext4's lost+found; a bare mount point does not.
      intact: (dir) => access(path.join(dir, APP_DISK_MOUNT, 'lost+found')).then(() => true, () => false),
      onError: this.o.onError,
    });
    this.pools.set(bytes, pool);
    for (const [size, old] of this.pools) {
      if (this.pools.size <= MAX_SIZES) break;
      this.pools.delete(size);
      void old.drain();
    }
    return pool.take();
  }

  private async make(bytes: number): Promise<string> {
    const dir = path.join(this.o.containersDir, `${this.o.prefix}disk-${randomBytes(6).toString('hex')}`);
    await mkdir(this.o.containersDir, { recursive: true, mode: 0o700 });
    await mkdir(dir, { mode: 0o700 });
    try {
      await mountAppDisk(dir, bytes);
      return dir;
    } catch (err) {
      await discardDisk(dir).catch(() => undefined);
      throw err;
    }
  }

  /** Starts filling every size's pool in the background. */
  fill(): void {
    for (const pool of this.pools.values()) pool.fill();
  }

  /** Resolves once every size's pool is full or has stopped filling (measurements, tests). */
  async filled(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.filled()));
  }

  /** Idle disks right now, all sizes. */
  get idle(): number {
    return [...this.pools.values()].reduce((n, p) => n + p.size, 0);
  }

  async drain(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.drain()));
  }
}

/** Unmounts and removes a prepared disk nobody took. */
export async function discardDisk(dir: string): Promise<void> {
  await unmountUnder(dir);
  await detachLoops(path.join(dir, APP_DISK_IMAGE));
  await rm(dir, { recursive: true, force: true });
}
