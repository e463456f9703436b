// The machine-wide runtime cache (downloaded Node runtimes, Debian's JDK/Ruby trees) and what keeps it
// honest. Builds only read it (mounted read-only: what one app's build code wrote there, every other
// app's build would run); the built-in buildpacks' `bin/fill` fills it before a build, in a step that
// runs none of the app (build/index.ts). The fills check what they download (npm's sha512 integrity,
// apt's signed hashes); when a fill ends the platform records each new entry's digest (every file's
// path, type, mode and content) beside it, and before each build it checks every entry against its
// record: a changed entry is hashed again and removed when its content differs, so it is fetched anew.
// The check is a walk of lstat() results (inode, size, mtime, ctime: ctime cannot be set from user
// space, so no write goes unseen) and hashes only what changed. A build whose buildpacks are all
// built-in checks only the entries its fills used (build/runtime-fill.ts); any other build, every entry.
//
// Entries: `<name>-<version>-<integrity>/` (holding `.slipway-runtime.json`) and `debian-12/trees/<name>-<key>/`
// (holding `.slipway-tree`); those markers are left out of the digest (fills touch them to record use).
// Records: `.slipway-sums/<entry, / as %>.json`, written whole (rename). The entries together stay
// within a quota (`SLIPWAY_RUNTIME_CACHE_QUOTA`): apps choose their runtime versions, so fills could
// otherwise be steered into filling the disk.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { hashFile, walkTree } from '../slugs/index.ts';

const SUMS = '.slipway-sums';
const MARKERS = new Set(['.slipway-runtime.json', '.slipway-tree']);
/** An entry without a record this young may be a fill of another platform on the machine, not sealed yet. */
const UNSEALED_GRACE_MS = 15 * 60_000;

interface Record { digest: string; fingerprint: string; bytes: number }

/** The directory builds mount: the cache's trusted part (the old layout beside it, written by builds, is never used). */
export const filledDir = (runtimeCacheDir: string) => join(runtimeCacheDir, 'filled');

/**
 * After a fill: records the digest of every entry that has none yet; then, while the entries hold more
 * than `quotaBytes`, removes the least recently used (their markers' mtime: fills touch them on use).
 */
export async function sealRuntimeCache(root: string, quotaBytes = Infinity, say: (line: string) => void = () => undefined): Promise<void> {
  // Records of entries that are gone (a fill pruned them).
  for (const f of await readdir(join(root, SUMS)).catch(() => [] as string[])) {
    if (f.endsWith('.json') && !existsSync(join(root, f.slice(0, -5).replaceAll('%', '/')))) await rm(join(root, SUMS, f), { force: true });
  }
  const sizes: { rel: string; bytes: number; used: number }[] = [];
  for (const rel of await entries(root)) {
    let record = await readRecord(root, rel);
    if (!record) {
      let files: Awaited<ReturnType<typeof walk>>;
      try {
        files = await walk(join(root, rel));
      } catch (err) {
        // Removed while it was read (another fill pruned it): the entries after it are still recorded.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        if (!(err instanceof EntryTooLarge)) throw err;
        say(`runtime cache: ${rel} holds too many files; removed`);
        await rm(join(root, rel), { recursive: true, force: true });
        continue;
      }
      try {
        record = { digest: await digest(join(root, rel), files), fingerprint: fingerprint(files), bytes: files.reduce((n, [, st]) => n + (st.isFile() ? st.size : 0), 0) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      await writeRecord(root, rel, record);
    }
    const marker = [...MARKERS].map((m) => join(root, rel, m)).find((m) => existsSync(m))!;
    sizes.push({ rel, bytes: record.bytes ?? 0, used: (await stat(marker).catch(() => undefined))?.mtimeMs ?? 0 });
  }
  let total = sizes.reduce((n, e) => n + e.bytes, 0);
  for (const e of sizes.sort((a, b) => a.used - b.used)) {
    if (total <= quotaBytes) break;
    say(`runtime cache: over its quota (SLIPWAY_RUNTIME_CACHE_QUOTA); removed ${e.rel}, the least recently used`);
    await rm(join(root, e.rel), { recursive: true, force: true });
    await rm(recordFile(root, e.rel), { force: true });
    total -= e.bytes;
  }
}

/**
 * Before a build: every entry (or each of `only`, the entries the build uses) matches its record, or is
 * removed (and said). Returns the entries removed.
 */
export async function verifyRuntimeCache(root: string, say: (line: string) => void, only?: string[]): Promise<string[]> {
  const removed: string[] = [];
  const all = await entries(root);
  for (const rel of only ? all.filter((e) => only.includes(e)) : all) {
    const dir = join(root, rel);
    try {
      const record = await readRecord(root, rel);
      if (!record) {
        if (Date.now() - (await stat(dir)).ctimeMs < UNSEALED_GRACE_MS) continue;
        say(`runtime cache: ${rel} was never recorded by a fill; removed`);
      } else {
        const files = await walk(dir);
        const fp = fingerprint(files);
        if (fp === record.fingerprint) continue;
        if (await digest(dir, files) === record.digest) {
          await writeRecord(root, rel, { ...record, fingerprint: fp });
          continue;
        }
        say(`runtime cache: ${rel} changed since it was filled; removed (it is fetched again)`);
      }
    } catch (err) {
      // Removed meanwhile (another build's fill pruned it): nothing left to check.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      if (!(err instanceof EntryTooLarge)) throw err;
      say(`runtime cache: ${rel} holds too many files; removed`);
    }
    await rm(dir, { recursive: true, force: true });
    await rm(recordFile(root, rel), { force: true });
    removed.push(rel);
  }
  return removed;
}

/** The entries whose marker was touched or made at `sinceMs` or later: what the fills since then used. */
export async function entriesUsedSince(root: string, sinceMs: number): Promise<string[]> {
  const used: string[] = [];
  for (const rel of await entries(root)) {
    const st = await markerStat(root, rel);
    if (st && st.mtimeMs >= sinceMs) used.push(rel);
  }
  return used;
}

/** Whether every one of `rels` is in the cache with its record (sealed). */
export async function allSealed(root: string, rels: string[]): Promise<boolean> {
  for (const rel of rels) if (!(await markerStat(root, rel)) || !(await readRecord(root, rel))) return false;
  return true;
}

/** Marks the entries used now (their markers' mtime), as a fill using them would, for the quota's least-recently-used order. */
export async function markUsed(root: string, rels: string[]): Promise<void> {
  const t = new Date();
  for (const rel of rels) for (const m of MARKERS) await utimes(join(root, rel, m), t, t).catch(() => undefined);
}

async function markerStat(root: string, rel: string): Promise<Stats | undefined> {
  for (const m of MARKERS) {
    const st = await lstat(join(root, rel, m)).catch(() => undefined);
    if (st?.isFile()) return st;
  }
  return undefined;
}

async function entries(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith('.') && existsSync(join(root, name, '.slipway-runtime.json'))) found.push(name);
  }
  const trees = join('debian-12', 'trees');
  for (const name of await readdir(join(root, trees)).catch(() => [] as string[])) {
    if (!name.startsWith('.') && existsSync(join(root, trees, name, '.slipway-tree'))) found.push(join(trees, name));
  }
  return found;
}

const recordFile = (root: string, rel: string) => join(root, SUMS, `${rel.replaceAll('/', '%')}.json`);

async function readRecord(root: string, rel: string): Promise<Record | undefined> {
  try {
    const r = JSON.parse(await readFile(recordFile(root, rel), 'utf8')) as Record;
    return typeof r.digest === 'string' && typeof r.fingerprint === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

async function writeRecord(root: string, rel: string, r: Record): Promise<void> {
  await mkdir(join(root, SUMS), { recursive: true, mode: 0o755 });
  const file = recordFile(root, rel);
  const tmp = `${file}.tmp-${randomUUID()}`; // two builds may record one entry at once
  await writeFile(tmp, JSON.stringify(r), { mode: 0o644 });
  await rename(tmp, file);
}

/** An entry with more files than an entry has any need of (the walk's bound): removed like a changed one. */
class EntryTooLarge extends Error {}

/** Every path under `dir` (markers at its top left out), sorted, with its lstat(); links are entries, never followed. */
async function walk(dir: string): Promise<[string, Stats][]> {
  const { entries, complete } = await walkTree(dir, { sort: true });
  if (!complete) throw new EntryTooLarge(`${dir} holds more files than a runtime may`);
  return entries.filter(([n]) => !MARKERS.has(n));
}

function fingerprint(files: [string, Stats][]): string {
  const h = createHash('sha256');
  for (const [n, s] of files) h.update(`${n}\0${s.mode}\0${s.size}\0${s.ino}\0${s.mtimeMs}\0${s.ctimeMs}\n`);
  return h.digest('hex');
}

async function digest(dir: string, files: [string, Stats][]): Promise<string> {
  const h = createHash('sha256');
  for (const [n, s] of files) {
    h.update(`${n}\0${s.mode & 0o170777}\0`);
    if (s.isSymbolicLink()) h.update(await readlink(join(dir, n)));
    else if (s.isFile()) h.update(await hashFile(join(dir, n)));
    h.update('\n');
  }
  return h.digest('hex');
}
