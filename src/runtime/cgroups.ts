// cgroup reads and last-resort cleanup for containers under /sys/fs/cgroup/<hierarchy>/slipway/ (v1
// controllers, plus cgroup2 `unified` in the hybrid layout).
// runc creates and removes these directories; this module only reads the memory controller's OOM
// record and sweeps directories a crashed runc (or a deleted runc state dir) left behind.
import { access, readFile, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { cgroupPath } from './bundle.ts';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Whether memory+swap is accounted, so `swap` can be capped at the memory limit. */
export async function hasMemsw(): Promise<boolean> {
  try {
    await access(path.join(CGROUP_ROOT, 'memory', 'memory.memsw.limit_in_bytes'));
    return true;
  } catch {
    return false;
  }
}

export interface MemoryRecord {
  /** Times the kernel's OOM killer killed a process of this cgroup (memory.oom_control). */
  oomKills?: number;
  /** Times usage hit the limit (memory.failcnt); the only hint on kernels without `oom_kill`. */
  failcnt?: number;
}

/** Reads the container's OOM record; must run before runc deletes the cgroup. */
export async function readMemoryRecord(id: string): Promise<MemoryRecord> {
  const dir = path.join(CGROUP_ROOT, 'memory', cgroupPath(id));
  const record: MemoryRecord = {};
  try {
    const m = /^oom_kill (\d+)$/m.exec(await readFile(path.join(dir, 'memory.oom_control'), 'utf8'));
    if (m) record.oomKills = Number(m[1]);
  } catch {
    // The cgroup is already gone: nothing to learn.
  }
  try {
    record.failcnt = Number((await readFile(path.join(dir, 'memory.failcnt'), 'utf8')).trim());
  } catch {
    // As above.
  }
  return record;
}

/** OOM-killed: the counter says so, or (no counter) the limit was hit and the process got SIGKILL. */
export function wasOomKilled(record: MemoryRecord, code: number): boolean {
  if (record.oomKills !== undefined) return record.oomKills > 0;
  return (record.failcnt ?? 0) > 0 && code === 137;
}

/** The container's cgroup directories that still exist, one per mounted hierarchy. */
export async function cgroupDirs(id: string): Promise<string[]> {
  const found: string[] = [];
  for (const controller of await controllers()) {
    const dir = path.join(CGROUP_ROOT, controller, cgroupPath(id));
    try {
      await access(dir);
      found.push(dir);
    } catch {
      // Not created in this controller.
    }
  }
  return found;
}

/** Ids of containers (by prefix) that still have a cgroup directory in any controller. */
export async function leftoverCgroupIds(prefix: string): Promise<string[]> {
  const ids = new Set<string>();
  for (const controller of await controllers()) {
    const parent = path.join(CGROUP_ROOT, controller, 'slipway');
    for (const name of await readdir(parent).catch(() => [] as string[])) {
      if (name.startsWith(prefix)) ids.add(name);
    }
  }
  return [...ids];
}

/**
 * Kills whatever still runs in the container's cgroups and removes the directories. Only needed
 * when runc lost track of the container; rmdir of a cgroup fails while a task remains, hence the
 * bounded retries after SIGKILL.
 */
export async function removeCgroups(id: string): Promise<void> {
  for (const dir of await cgroupDirs(id)) {
    for (let attempt = 0; ; attempt++) {
      const procs = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map(Number);
      for (const pid of procs) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      try {
        await rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (attempt >= 50) throw new Error(`cannot remove cgroup ${dir}: ${code}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

async function controllers(): Promise<string[]> {
  // Every hierarchy (v1 controllers and the hybrid layout's cgroup2 `unified`, where runc also
  // places the container) has cgroup.procs; plain files and the tmpfs root do not.
  const names = await readdir(CGROUP_ROOT).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    try {
      await access(path.join(CGROUP_ROOT, name, 'cgroup.procs'));
      out.push(name);
    } catch {
      // Not a hierarchy.
    }
  }
  return out;
}
