// The files of a backup: copying a data dir's trees into the staging dir (hard links for the blob
// store's immutable, content-addressed files; copies for the rest, so a file written meanwhile cannot
// change under the checksum), the manifest's checksums, and checking an unpacked archive against them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupError } from './crypto.ts';

export interface FileEntry {
  sha256: string;
  size: number;
}

/** Copies `from` into `to` (regular files and directories only); returns what it left out (links, sockets...). */
export async function copyTree(from: string, to: string, mode: 'link' | 'copy'): Promise<string[]> {
  const skipped: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const src = join(from, rel);
    const st = await lstat(src).catch(() => undefined);
    if (!st) return; // removed meanwhile (a blob collected, a finished output)
    if (st.isDirectory()) {
      await mkdir(join(to, rel), { recursive: true, mode: st.mode & 0o7777 });
      for (const name of (await readdir(src)).sort()) await walk(join(rel, name));
    } else if (st.isFile()) {
      const dest = join(to, rel);
      if (mode === 'link') await link(src, dest).catch(() => copyFile(src, dest));
      else await copyFile(src, dest).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
    } else {
      skipped.push(rel);
    }
  };
  await walk('');
  return skipped;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('error', reject).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex')));
  });
}

/** Every regular file under `dir` (relative paths, sorted) with its checksum; anything else is refused. */
export async function checksums(dir: string): Promise<Record<string, FileEntry>> {
  const out: Record<string, FileEntry> = {};
  const walk = async (rel: string): Promise<void> => {
    const st = await lstat(join(dir, rel));
    if (st.isDirectory()) {
      for (const name of (await readdir(join(dir, rel))).sort()) await walk(rel ? `${rel}/${name}` : name);
    } else if (st.isFile()) {
      out[rel] = { sha256: await sha256File(join(dir, rel)), size: st.size };
    } else {
      throw new BackupError(`the archive holds ${rel}, which is not a regular file or directory; a Slipway backup holds none`);
    }
  };
  await walk('');
  return out;
}

/** Checks the unpacked files against the manifest: the same set, each with its size and checksum. */
export function compare(found: Record<string, FileEntry>, listed: Record<string, FileEntry>): void {
  for (const [path, want] of Object.entries(listed)) {
    const got = found[path];
    if (!got) throw new BackupError(`the archive is damaged or truncated: ${path} is missing from it`);
    if (got.size !== want.size || got.sha256 !== want.sha256) throw new BackupError(`the archive is damaged: ${path} does not match its checksum`);
  }
  const extra = Object.keys(found).find((p) => !(p in listed));
  if (extra) throw new BackupError(`the archive holds ${extra}, which its manifest does not list; it was altered`);
}
