// cgroup reads and last-resort cleanup for containers under /sys/fs/cgroup/<hierarchy>/slipway/ (v1
// controllers, plus cgroup2 `unified` in the hybrid layout).
// runc creates and removes these directories; this module only reads them (the memory controller's
// OOM record, memory and run-queue samples) and sweeps directories a crashed runc (or a deleted runc
// state dir) left behind.
import { access, readFile, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { cgroupPath } from './bundle.ts';
import type { ContainerStats } from './types.ts';

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

/**
 * Memory figures from a v1 memory.stat (the `total_` lines, which include child cgroups; runc makes
 * none, so they equal the local ones, but they stay right if a container ever nests).
 *
 * rssBytes = total_rss + total_mapped_file. `rss` in cgroup v1 is anonymous memory only (heaps,
 * stacks); `mapped_file` is the file pages the processes have mapped (their binaries, shared libraries,
 * mmapped files). Together they are what `ps` would sum as resident memory, without counting a shared
 * page twice: the nearest cgroup v1 figure to Heroku's memory_rss ("the portion of the dyno's memory
 * held in RAM"). Unmapped page cache is left out: it is
 * reclaimable and Heroku does not count it. cacheBytes is total_cache, which includes the mapped file
 * pages and also /tmp's and /dev/shm's tmpfs pages (shmem): those count against the hard limit.
 */
export function parseMemoryStat(text: string): Omit<ContainerStats, 'runnable'> {
  const v: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) v[key] = Number(value);
  }
  const get = (k: string): number => v[`total_${k}`] ?? v[k] ?? 0;
  return {
    rssBytes: get('rss') + get('mapped_file'),
    cacheBytes: get('cache'),
    swapBytes: get('swap'),
    pgpgin: get('pgpgin'),
    pgpgout: get('pgpgout'),
  };
}

/** The scheduler state letter of a /proc/<pid>/stat line (R running, S sleeping, D, Z ...). */
export function procState(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  return close < 0 ? undefined : stat.slice(close + 2, close + 3) || undefined;
}

/**
 * A memory and run-queue sample of a running container; undefined once its cgroup is gone. Runnable
 * counts threads in state R, from the memory cgroup's `tasks` (thread ids, not just processes), so a
 * multi-threaded busy process counts once per busy thread, as the kernel's load average does.
 */
export async function readStats(id: string): Promise<ContainerStats | undefined> {
  const dir = path.join(CGROUP_ROOT, 'memory', cgroupPath(id));
  let stat: string;
  let tasks: string;
  try {
    [stat, tasks] = await Promise.all([readFile(path.join(dir, 'memory.stat'), 'utf8'), readFile(path.join(dir, 'tasks'), 'utf8')]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let runnable = 0;
  for (const tid of tasks.split('\n').filter(Boolean)) {
    // A thread that exits between the two reads is simply not counted.
    const s = await readFile(`/proc/${tid}/stat`, 'utf8').catch(() => '');
    if (procState(s) === 'R') runnable++;
  }
  return { ...parseMemoryStat(stat), runnable };
}
