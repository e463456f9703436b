// cgroup reads and last-resort cleanup for containers, on every layout the kernel may mount at
// /sys/fs/cgroup: `v1` (one hierarchy per controller), `hybrid` (v1 controllers plus an empty cgroup2
// at `unified/`, this project's test machine) and `unified` (cgroup v2 only, what a stock Debian 12
// boots). runc places a container at `<cgroupsPath>` under every hierarchy: `<root>/<controller>/slipway/<id>`
// on v1 (and `<root>/unified/slipway/<id>` in the hybrid layout), `<root>/slipway/<id>` on v2.
// runc creates and removes these directories; this module only reads them (the OOM record, memory
// and run-queue samples) and sweeps directories a crashed runc (or a deleted runc state dir) left
// behind. Every reader takes the root as a parameter so the v2 readers are tested on recorded files.
import { access, readFile, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { cgroupPath } from './bundle.ts';
import type { ContainerStats } from './types.ts';

export const CGROUP_ROOT = '/sys/fs/cgroup';

export type CgroupLayout = 'v1' | 'hybrid' | 'unified';

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

/**
 * The layout mounted at `root`, decided as runc decides it: a cgroup2 root (it alone has
 * `cgroup.controllers`) is the unified layout; a cgroup2 at `unified/` beside v1 controllers is hybrid.
 */
export async function cgroupLayout(root = CGROUP_ROOT): Promise<CgroupLayout> {
  if (await exists(path.join(root, 'cgroup.controllers'))) return 'unified';
  if (await exists(path.join(root, 'unified', 'cgroup.controllers'))) return 'hybrid';
  return 'v1';
}

/** Where the memory controller's directory of container `id` is on this layout. */
function memoryDir(layout: CgroupLayout, id: string, root: string): string {
  return layout === 'unified' ? path.join(root, cgroupPath(id)) : path.join(root, 'memory', cgroupPath(id));
}

/**
 * Whether swap can be capped at the memory limit (OCI `swap` = memory+swap = limit): with the kernel's
 * swap accounting, which v1 shows as memory.memsw.* in the memory controller and v2 as memory.swap.max
 * in every cgroup but the root (runc writes 0 there, and fails the start if the file is missing).
 */
export async function hasMemsw(root = CGROUP_ROOT): Promise<boolean> {
  if ((await cgroupLayout(root)) !== 'unified') return exists(path.join(root, 'memory', 'memory.memsw.limit_in_bytes'));
  // systemd's own cgroups are always there to look at.
  for (const child of ['init.scope', 'system.slice']) {
    if (await exists(path.join(root, child, 'memory.swap.max'))) return true;
  }
  return false;
}

export interface MemoryRecord {
  /** Times the kernel's OOM killer killed a process of this cgroup (v1 memory.oom_control, v2 memory.events). */
  oomKills?: number;
  /** Times usage hit the limit (v1 memory.failcnt, v2 memory.events `max`); the only hint without `oom_kill`. */
  failcnt?: number;
}

/** The `key value` lines of a cgroup file (memory.stat, memory.events, cpu.stat ...) as numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const v: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key && value !== undefined) v[key] = Number(value);
  }
  return v;
}

/** Reads the container's OOM record; must run before runc deletes the cgroup. */
export async function readMemoryRecord(id: string, root = CGROUP_ROOT): Promise<MemoryRecord> {
  const layout = await cgroupLayout(root);
  const dir = memoryDir(layout, id, root);
  const record: MemoryRecord = {};
  if (layout === 'unified') {
    try {
      const events = parseFlatKeyed(await readFile(path.join(dir, 'memory.events'), 'utf8'));
      if (events.oom_kill !== undefined) record.oomKills = events.oom_kill;
      if (events.max !== undefined) record.failcnt = events.max;
    } catch {
      // The cgroup is already gone: nothing to learn.
    }
    return record;
  }
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
export async function cgroupDirs(id: string, root = CGROUP_ROOT): Promise<string[]> {
  const found: string[] = [];
  for (const hierarchy of await hierarchies(root)) {
    const dir = path.join(hierarchy, cgroupPath(id));
    if (await exists(dir)) found.push(dir);
  }
  return found;
}

/** Ids of containers (by prefix) that still have a cgroup directory in any hierarchy. */
export async function leftoverCgroupIds(prefix: string, root = CGROUP_ROOT): Promise<string[]> {
  const ids = new Set<string>();
  for (const hierarchy of await hierarchies(root)) {
    const parent = path.join(hierarchy, 'slipway');
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
export async function removeCgroups(id: string, root = CGROUP_ROOT): Promise<void> {
  for (const dir of await cgroupDirs(id, root)) {
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

/** The mounted hierarchies' roots: the cgroup2 root itself when unified, else each v1 controller's (and `unified/`). */
async function hierarchies(root: string): Promise<string[]> {
  if ((await cgroupLayout(root)) === 'unified') return [root];
  // Every hierarchy (v1 controllers and the hybrid layout's cgroup2 `unified`, where runc also
  // places the container) has cgroup.procs; plain files and the tmpfs root do not.
  const names = await readdir(root).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    if (await exists(path.join(root, name, 'cgroup.procs'))) out.push(path.join(root, name));
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
  const v = parseFlatKeyed(text);
  const get = (k: string): number => v[`total_${k}`] ?? v[k] ?? 0;
  return {
    rssBytes: get('rss') + get('mapped_file'),
    cacheBytes: get('cache'),
    swapBytes: get('swap'),
    pgpgin: get('pgpgin'),
    pgpgout: get('pgpgout'),
  };
}

/** Bytes in a page, to give v2's byte counts as the pages Heroku's figures are in. */
const PAGE_BYTES = 4096;

/**
 * The same figures from cgroup v2, whose memory.stat is always hierarchical and names things
 * differently: `anon` is v1's rss, `file_mapped` its mapped_file, `file` its cache (tmpfs and shared
 * memory included). Swap is a file of its own (memory.swap.current; absent without swap accounting).
 * v2 has no pgpgin/pgpgout (v1's counts of pages charged and uncharged); Heroku documents
 * memory_pgpgin/-out as the pages read from and written to disk, which is what io.stat counts (its
 * `rbytes`/`wbytes` over every device, in pages); without the io controller they are 0.
 */
export function parseMemoryStatV2(memoryStat: string, swapCurrent = '', ioStat = ''): Omit<ContainerStats, 'runnable'> {
  const v = parseFlatKeyed(memoryStat);
  const io = parseIoStat(ioStat);
  return {
    rssBytes: (v.anon ?? 0) + (v.file_mapped ?? 0),
    cacheBytes: v.file ?? 0,
    swapBytes: Number(swapCurrent.trim()) || 0,
    pgpgin: Math.floor(io.rbytes / PAGE_BYTES),
    pgpgout: Math.floor(io.wbytes / PAGE_BYTES),
  };
}

/** Bytes read and written over every device of a v2 io.stat (`8:0 rbytes=… wbytes=… rios=…` per line). */
export function parseIoStat(text: string): { rbytes: number; wbytes: number } {
  let rbytes = 0;
  let wbytes = 0;
  for (const m of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (m[1] === 'r') rbytes += Number(m[2]);
    else wbytes += Number(m[2]);
  }
  return { rbytes, wbytes };
}

/** The scheduler state letter of a /proc/<pid>/stat line (R running, S sleeping, D, Z ...). */
export function procState(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  return close < 0 ? undefined : stat.slice(close + 2, close + 3) || undefined;
}

/**
 * A memory and run-queue sample of a running container; undefined once its cgroup is gone. Runnable
 * counts threads in state R, from the memory cgroup's thread list (v1 `tasks`, v2 `cgroup.threads`:
 * thread ids, not just processes), so a multi-threaded busy process counts once per busy thread, as
 * the kernel's load average does.
 */
export async function readStats(id: string, root = CGROUP_ROOT, proc = '/proc'): Promise<ContainerStats | undefined> {
  const layout = await cgroupLayout(root);
  const dir = memoryDir(layout, id, root);
  const read = (name: string): Promise<string> => readFile(path.join(dir, name), 'utf8');
  let figures: Omit<ContainerStats, 'runnable'>;
  let tasks: string;
  try {
    if (layout === 'unified') {
      const optional = (name: string): Promise<string> => read(name).catch(() => '');
      const [stat, threads, swap, io] = await Promise.all([read('memory.stat'), read('cgroup.threads'), optional('memory.swap.current'), optional('io.stat')]);
      figures = parseMemoryStatV2(stat, swap, io);
      tasks = threads;
    } else {
      const [stat, threads] = await Promise.all([read('memory.stat'), read('tasks')]);
      figures = parseMemoryStat(stat);
      tasks = threads;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let runnable = 0;
  for (const tid of tasks.split('\n').filter(Boolean)) {
    // A thread that exits between the two reads is simply not counted.
    const s = await readFile(path.join(proc, tid, 'stat'), 'utf8').catch(() => '');
    if (procState(s) === 'R') runnable++;
  }
  return { ...figures, runnable };
}
