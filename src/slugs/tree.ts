// Walking a directory tree that tenants may have written (build caches, slug unpacks, runtime cache
// entries, stack trees): every entry is lstat()ed and a link is an entry, never a way in, so a link
// `x -> /` in a build cache makes a size or a purge walk one link, not the host. Node's recursive
// readdir (without file types) descends into linked directories; nothing here uses it.
// Bounded: past `maxEntries` the walk stops (the caller says whether that is an error or a lower bound).
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Enough for a stack tree or a JDK several times over; a tree past it was made to be walked forever. */
export const TREE_MAX_ENTRIES = 2_000_000;

export interface TreeWalk {
  /** Paths relative to the walked directory, `/`-joined, with their lstat(); the directory itself left out. */
  entries: [string, Stats][];
  /** False when the walk stopped at `maxEntries`. */
  complete: boolean;
}

/**
 * Every entry under `dir` with its lstat(), never descending into a link (nor into anything that
 * stopped being the directory it was when listed: a directory swapped for a link mid-walk is left
 * unread). Sorted by path when `sort`. A `dir` that is missing gives no entries.
 */
export async function walkTree(dir: string, o: { maxEntries?: number; sort?: boolean } = {}): Promise<TreeWalk> {
  const max = o.maxEntries ?? TREE_MAX_ENTRIES;
  const entries: [string, Stats][] = [];
  const top = await lstat(dir).catch(() => undefined);
  if (!top?.isDirectory()) return { entries, complete: true };
  const pending: [string, Stats][] = [['', top]];
  while (pending.length > 0) {
    const [rel, seen] = pending.pop()!;
    const abs = rel ? join(dir, rel) : dir;
    const names = await readdir(abs).catch(() => [] as string[]);
    // The directory read must still be the one lstat()ed (same inode, still a directory): else a link
    // put in its place was followed by readdir, and what it listed is not ours to walk.
    const now = await lstat(abs).catch(() => undefined);
    if (!now?.isDirectory() || now.ino !== seen.ino || now.dev !== seen.dev) continue;
    for (const name of names) {
      if (entries.length >= max) return { entries: o.sort ? sortEntries(entries) : entries, complete: false };
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, path)).catch(() => undefined);
      if (!st) continue;
      entries.push([path, st]);
      if (st.isDirectory()) pending.push([path, st]);
    }
  }
  return { entries: o.sort ? sortEntries(entries) : entries, complete: true };
}

const sortEntries = (e: [string, Stats][]) => e.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The bytes of the regular files under `dir` (links and what they point at not counted); 0 when missing. */
export async function treeBytes(dir: string, maxEntries?: number): Promise<number> {
  const { entries } = await walkTree(dir, { maxEntries });
  return entries.reduce((n, [, st]) => n + (st.isFile() ? st.size : 0), 0);
}
