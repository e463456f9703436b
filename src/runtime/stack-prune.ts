// Removes stack versions no process on this machine uses (`slipway stack:prune`). A version is in use
// when any process has its root in it (every process of a runc build or dyno: seen through its mount
// namespace's root mount), or its working directory or an open file (a platform holds its version's
// marker open from its first use to its exit: runc.ts), so a platform that could still start dynos
// on an old version keeps it. The current version is never removed. Also removes the flat stack
// that came before versions (its root was the stack dir itself) on the same terms.
import { readFile, readdir, readlink, mkdir, rename, realpath } from 'node:fs/promises';
import path from 'node:path';
import { treeBytes } from '../slugs/index.ts';
import { unescapeMountPath } from './mounts.ts';
import { STACK_NAME, VERSION_PATTERN } from './stack-definition.ts';
import { MARKER, STACK_VERSION, isVersionLayoutName, removeTree } from './stack.ts';
import { acquireLock } from './stack-lock.ts';

/** A process using something under the stack dir; `rel` is the path used, relative to the stack dir. */
export interface StackUse {
  pid: number;
  how: 'root' | 'cwd' | 'open file';
  rel: string;
}

export interface PrunePlan {
  /** Version dirs to remove. */
  remove: string[];
  /** The pre-version flat stack's top-level entries are removed too. */
  removeLegacy: boolean;
  /** What stays because a process uses it (version, or `legacy`), with those processes. */
  inUse: { name: string; pids: number[] }[];
}

/** Which versions (and the legacy flat stack) to remove, given what is there and who uses what. Pure. */
export function planPrune(entries: string[], legacy: boolean, uses: StackUse[], current: string): PrunePlan {
  const usersOf = (match: (first: string) => boolean): number[] =>
    [...new Set(uses.filter((u) => match(u.rel.split('/')[0] ?? '')).map((u) => u.pid))].sort((a, b) => a - b);
  const plan: PrunePlan = { remove: [], removeLegacy: false, inUse: [] };
  for (const name of entries.filter((e) => VERSION_PATTERN.test(e) && e !== current).sort()) {
    const pids = usersOf((first) => first === name);
    if (pids.length) plan.inUse.push({ name, pids });
    else plan.remove.push(name);
  }
  if (legacy) {
    // The legacy root is the stack dir itself: anything used there outside the versioned layout is its.
    const pids = usersOf((first) => !isVersionLayoutName(first));
    if (pids.length) plan.inUse.push({ name: 'legacy', pids });
    else plan.removeLegacy = true;
  }
  return plan;
}

export interface PruneResult extends PrunePlan {
  /** Bytes freed. */
  bytes: number;
}

/** Removes what planPrune allows, under the stack lock (so no maker runs meanwhile). */
export async function pruneStacks(
  dir: string, progress: (line: string) => void, current = STACK_VERSION,
): Promise<PruneResult> {
  const stackDir = await realpath(dir);
  const release = await acquireLock(path.join(stackDir, '.lock'), progress);
  try {
    const entries = await readdir(stackDir);
    const legacy = await readFile(path.join(stackDir, MARKER), 'utf8').then((t) => t.trim() === STACK_NAME, () => false);
    const plan = planPrune(entries, legacy, await stackUsers(stackDir), current);
    let bytes = 0;
    // An interrupted prune's remains: renamed away, so nothing uses them.
    for (const name of entries.filter((e) => e.startsWith('.trash-'))) await removeTree(path.join(stackDir, name));
    const trash = async (name: string, move: (to: string) => Promise<void>): Promise<void> => {
      // Renamed away first, so nothing can start on a half-removed tree.
      const to = path.join(stackDir, `.trash-${name}-${process.pid}`);
      await move(to);
      bytes += await treeBytes(to);
      await removeTree(to);
    };
    for (const version of plan.remove) {
      progress(`Removing stack version ${version}`);
      await trash(version, (to) => rename(path.join(stackDir, version), to));
    }
    if (plan.removeLegacy) {
      progress(`Removing the stack made before versions (${stackDir}/{bin,etc,usr,...})`);
      await trash('legacy', async (to) => {
        await mkdir(to);
        for (const name of entries.filter((e) => !isVersionLayoutName(e))) await rename(path.join(stackDir, name), path.join(to, name));
      });
    }
    return { ...plan, bytes };
  } finally {
    await release();
  }
}

/** One line of /proc/<pid>/mountinfo: the filesystem (major:minor), the path inside it that is mounted, where. */
export interface MountEntry {
  dev: string;
  root: string;
  mountPoint: string;
}

export function parseMountinfo(text: string): MountEntry[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    return { dev: f[2] ?? '', root: unescapeMountPath(f[3] ?? ''), mountPoint: unescapeMountPath(f[4] ?? '') };
  });
}

/** Where `p` (a path in the namespace `mounts` describe) lives: its filesystem and its path inside it. */
export function locate(p: string, mounts: MountEntry[]): { dev: string; path: string } | undefined {
  const under = (x: string, dir: string): boolean => dir === '/' || x === dir || x.startsWith(dir + '/');
  // The last of the longest matching mount points is the one on top.
  let best: MountEntry | undefined;
  for (const m of mounts) if (under(p, m.mountPoint) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  if (!best) return undefined;
  return { dev: best.dev, path: path.posix.join(best.root, path.posix.relative(best.mountPoint, p)) };
}

/**
 * Every process using something under `stackDir` (a real path): processes in another mount
 * namespace (containers) by their namespace's root mount, processes in ours by their root, working
 * directory and open files. Processes that exit meanwhile are skipped.
 */
export async function stackUsers(stackDir: string): Promise<StackUse[]> {
  const target = locate(stackDir, parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')));
  const myNs = await readlink('/proc/self/ns/mnt');
  const relTo = (p: string, dir: string): string | undefined =>
    p === dir ? '' : p.startsWith(dir + '/') ? p.slice(dir.length + 1) : undefined;
  const nsRoot = new Map<string, { dev: string; path: string } | undefined>();
  const uses: StackUse[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const proc = `/proc/${name}`;
    const ns = await readlink(`${proc}/ns/mnt`).catch(() => undefined);
    if (!ns) continue;
    if (ns !== myNs) {
      if (!nsRoot.has(ns)) {
        const mounts = await readFile(`${proc}/mountinfo`, 'utf8').then(parseMountinfo, () => []);
        const top = mounts.filter((m) => m.mountPoint === '/').at(-1);
        nsRoot.set(ns, top && { dev: top.dev, path: top.root });
      }
      const root = nsRoot.get(ns);
      const rel = root && target && root.dev === target.dev ? relTo(root.path, target.path) : undefined;
      if (rel !== undefined) uses.push({ pid, how: 'root', rel });
      continue;
    }
    const links: [StackUse['how'], string][] = [['root', `${proc}/root`], ['cwd', `${proc}/cwd`]];
    for (const fd of await readdir(`${proc}/fd`).catch(() => [] as string[])) links.push(['open file', `${proc}/fd/${fd}`]);
    for (const [how, link] of links) {
      const p = await readlink(link).catch(() => undefined);
      const rel = p === undefined ? undefined : relTo(p.replace(/ \(deleted\)$/, ''), stackDir);
      if (rel !== undefined) uses.push({ pid, how, rel });
    }
  }
  return uses;
}
