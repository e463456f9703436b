// Slugs: a tar.gz of the built app (what /app holds in a dyno), stored in a content-addressed blob store
// (named by sha256, shared by every app that produced the same bytes), and unpacked once per release. A
// built slug's big unchanging directories are layers stored apart (layers.ts): its blob is then the
// app part, and its tarball the layers' members followed by that part.
import { spawn } from 'node:child_process';
import { createHash, type Hash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, lstatSync } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveRefused as ArchiveRefusedError, checkArchive, unpackLimits } from './archive.ts';
import { readBuildFile } from './build-file.ts';
import { type LayerBlobs, layerTarArgs, packArgs, PackTooLargeError, type SlugLayer, storeLayer, tarStream } from './layers.ts';

export { concatenated, type LayerBlobs, layerTarArgs, type SlugLayer, storeLayer } from './layers.ts';

export { ArchiveRefused, checkArchive, unpackLimits } from './archive.ts';
export { BuildFileError } from './build-file.ts';
export { treeBytes, walkTree, TREE_MAX_ENTRIES, type TreeWalk } from './tree.ts';

/** Heroku's hard limit for a compressed slug. */
export const SLUG_MAX_BYTES = 500 * 1024 * 1024;

export class SlugTooLargeError extends Error {
  /** `over`: the pack stopped writing at the limit, so the size is only known to be past it. */
  constructor(readonly size: number, maxBytes = SLUG_MAX_BYTES, over = false) {
    super(`Compiled slug size: ${over ? 'over ' : ''}${formatSize(size)} is too large (max is ${Math.round(maxBytes / (1024 * 1024))}M).`);
  }
}

/** `Done: 12.3M` style size, one decimal, as the slug compiler prints it. */
export function formatSize(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)}M`;
}

/**
 * `.slugignore` lines → tar `--exclude` patterns. Blank lines and `#` comments are skipped; a leading `/`
 * anchors the pattern at the app root (tar anchors patterns that contain a `/`, matching Heroku's
 * gitignore-like reading closely enough for its documented uses: directories, globs, files).
 */
export function slugignorePatterns(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const anchored = line.startsWith('/');
    const p = line.replace(/^\/+/, '').replace(/\/+$/, '');
    if (!p) continue;
    out.push(anchored || p.includes('/') ? `./${p}` : p);
  }
  return out;
}

export interface BlobStoreOptions {
  /** Directory holding `sha256/<hex>` files. */
  dir: string;
}

export class BlobStore implements LayerBlobs {
  /**
   * sha256 states after the members of a list of layers (the start of every tarball with those layers),
   * most recently used last, 16 at most: a layered slug's checksum then reads only its app part.
   */
  private readonly prefixes = new Map<string, Hash>();

  constructor(private readonly opts: BlobStoreOptions) {}

  async checksum(layers: readonly string[], file: string): Promise<string> {
    const key = layers.join(' ');
    let prefix = this.prefixes.get(key);
    if (!prefix) {
      prefix = createHash('sha256');
      for (const blob of layers) for await (const chunk of createReadStream(this.path(blob))) prefix.update(chunk as Buffer);
    }
    this.prefixes.delete(key);
    this.prefixes.set(key, prefix);
    if (this.prefixes.size > 16) this.prefixes.delete(this.prefixes.keys().next().value!);
    const whole = prefix.copy();
    for await (const chunk of createReadStream(file)) whole.update(chunk as Buffer);
    return whole.digest('hex');
  }

  /** Slug layers' tar stream hashes → their members' blobs (layers.ts). */
  get layerIndexDir(): string {
    return join(this.opts.dir, 'layers');
  }

  async touch(sha256: string): Promise<void> {
    const t = new Date();
    await utimes(this.path(sha256), t, t);
  }

  /** The directory of the blobs' files (`<dir>/sha256`). */
  get filesDir(): string {
    return join(this.opts.dir, 'sha256');
  }

  path(sha256: string): string {
    return join(this.opts.dir, 'sha256', sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.path(sha256));
  }

  /** Moves `file` into the store under its content hash; returns the hash and size. */
  async put(file: string): Promise<{ sha256: string; size: number }> {
    const sha256 = await hashFile(file);
    const size = (await stat(file)).size;
    await mkdir(join(this.opts.dir, 'sha256'), { recursive: true });
    if (this.has(sha256)) {
      await rm(file, { force: true });
      // Stored anew: housekeeping's grace period (by age) protects it until its row is written.
      await this.touch(sha256);
    } else await rename(file, this.path(sha256)).catch((err: NodeJS.ErrnoException) => (err.code === 'EXDEV' ? this.moveAcross(file, sha256) : Promise.reject(err)));
    return { sha256, size };
  }

  /**
   * The store on another filesystem than the file (SLIPWAY_BLOB_DIR on a shared one): copied beside its
   * name first and renamed there, so another platform process never sees half a blob under its name.
   */
  private async moveAcross(file: string, sha256: string): Promise<void> {
    const partial = join(this.opts.dir, 'sha256', `.${sha256}.${randomUUID()}.partial`);
    try {
      await copyFile(file, partial);
      await rename(partial, this.path(sha256));
    } finally {
      await rm(partial, { force: true });
    }
    await rm(file, { force: true });
  }
}

export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Where an app's slug layers are kept between its builds: beside its build cache (`<data>/cache/<app>`),
 * not in it, since that one is mounted into the app's builds and what is here goes into slugs unread.
 */
export function layerCacheDir(dataDir: string, appId: string): string {
  return join(dataDir, 'slug-cache', appId);
}

export interface PackOptions {
  /** Past this many bytes the slug is refused (SlugTooLargeError). */
  maxBytes?: number;
  /**
   * Directories of the app (`.heroku/node`, `.jdk`) stored as layers of their own in `layerStore`
   * (layers.ts); `outFile` is then the rest of the app. Ignored without `layerStore`.
   */
  layers?: readonly string[];
  layerStore?: LayerBlobs;
  /**
   * Layers already stored whose directories `appDir` holds empty (a build's overlay upper dir over the
   * runtime layer, checked unchanged): their members go into the slug unread, neither hashed nor
   * compressed. Only without `.slugignore` patterns (they could leave files of a layer out).
   */
  known?: readonly SlugLayer[];
  /** Ends the pack (the build's deadline); it rejects with the signal's reason and leaves no file. */
  signal?: AbortSignal;
}

export interface PackedSlug {
  /** The whole slug's compressed size: the app part and its layers. */
  size: number;
  /** The layers stored apart, in the order their members come before the app part. */
  layers: SlugLayer[];
  /** The layers whose member was stored before (by any build), with their compressed size. */
  reused: { path: string; bytes: number }[];
  /** With layers: sha256 hex of the whole tarball (layers' members, then `outFile`). */
  checksum?: string;
}

/**
 * Packs `appDir` (the build dir after compile) into `outFile` as a slug: a gzipped tar whose entries are
 * `./...`, owned as the files are, `.slugignore` honoured. With layers, those are stored in the layer
 * store and left out of `outFile`. Fails with SlugTooLargeError past 500 MB (all parts together),
 * leaving no file (it stops writing there).
 */
export async function packSlug(appDir: string, outFile: string, opts: PackOptions = {}): Promise<PackedSlug> {
  const maxBytes = opts.maxBytes ?? SLUG_MAX_BYTES;
  const ignore = await slugIgnoreOf(appDir);
  await refuseWhatUnpackRefuses(appDir);
  // Hard links are stored as files of their own: an unpack refuses hard links (archive.ts).
  const common = packArgs(appDir, ignore);
  const store = opts.layerStore;
  const known = store ? opts.known ?? [] : [];
  if (known.length && ignore.length) throw new Error('a slug with .slugignore patterns is packed without known layers');
  const layers = store ? (opts.layers ?? []).filter((p) => !known.some((k) => k.path === p) && isRealDirectory(appDir, p)) : [];
  const rest = [...common, ...[...known.map((k) => k.path), ...layers].map((p) => `--exclude=./${p}`), '.'];
  try {
    // The rest is compressed while the layers are hashed (or compressed): two cores, two jobs.
    // Settled, not all: none may still be writing when a failure's clean-up runs.
    const [restDone, ...layerDone] = await Promise.allSettled([
      tarStream(rest, { gzipTo: outFile, maxBytes, signal: opts.signal }),
      ...layers.map((p, i) => storeLayer(p, layerTarArgs(appDir, ignore, p), store!, `${outFile}.layer-${i}`, { maxBytes, signal: opts.signal })),
    ]);
    const failed = [restDone, ...layerDone].find((r) => r.status === 'rejected');
    // Stopped while writing: it is past the limit at least.
    if (failed?.reason instanceof PackTooLargeError) throw new SlugTooLargeError(maxBytes, maxBytes, true);
    if (failed) throw failed.reason;
    const parts = [...known.map((k) => ({ ...k, reused: true })), ...layerDone.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []))];
    const size = (await stat(outFile)).size + parts.reduce((n, l) => n + l.size, 0);
    if (size > maxBytes) throw new SlugTooLargeError(size, maxBytes);
    return {
      size, layers: parts.map(({ path, blob, size }) => ({ path, blob, size })),
      reused: parts.filter((l) => l.reused).map((l) => ({ path: l.path, bytes: l.size })),
      checksum: parts.length ? await store!.checksum(parts.map((l) => l.blob), outFile) : undefined,
    };
  } catch (err) {
    await rm(outFile, { force: true });
    throw err;
  }
}

/** The `.slugignore` patterns of the app in `appDir` (none when it has none). */
export async function slugIgnoreOf(appDir: string): Promise<string[]> {
  return slugignorePatterns((await readBuildFile(join(appDir, '.slugignore'), '.slugignore')) ?? '');
}

/** A slug row's `layers` (JSON, null for a slug without) read back; what is not a layer list is none. */
export function slugLayers(stored: string | null | undefined): SlugLayer[] {
  if (!stored) return [];
  try {
    const list = JSON.parse(stored) as SlugLayer[];
    return Array.isArray(list) ? list.filter((l) => typeof l?.path === 'string' && /^[0-9a-f]{64}$/.test(l.blob) && Number.isSafeInteger(l.size)) : [];
  } catch {
    return [];
  }
}

/**
 * The files of a slug's tarball in order (its layers' members, then its blob), or undefined when one
 * is not stored (any more).
 */
export function slugFiles(blobs: Pick<BlobStore, 'has' | 'path'>, slug: { blob: string; layers?: string | null }): string[] | undefined {
  const names = [...slugLayers(slug.layers).map((l) => l.blob), slug.blob];
  return names.every((n) => n && blobs.has(n)) ? names.map((n) => blobs.path(n)) : undefined;
}

/**
 * What an unpack would refuse (archive.ts), refused when the slug is made, so the push says so instead of
 * the release's dynos failing to start: devices, FIFOs, setuid/setgid bits, root-owned entries, and more
 * than the unpack limit in all (apparent sizes, so sparse files count whole). `find` and `du` walk the
 * tree without following links. (Hard links are packed as files.)
 */
async function refuseWhatUnpackRefuses(appDir: string): Promise<void> {
  const found = await run('find', [appDir, '-path', join(appDir, '.git'), '-prune', '-o',
    '(', '-type', 'p', '-o', '-type', 'b', '-o', '-type', 'c', '-o', '-perm', '/6000', '-o', '-uid', '0', '-o', '-gid', '0', ')', '-print', '-quit']);
  const path = found.split('\n')[0];
  if (path) {
    const rel = path === appDir ? '.' : path.slice(appDir.length + 1);
    throw new ArchiveRefusedError(`The build left ${JSON.stringify(rel.slice(0, 200))} in the app: a device, a FIFO, a setuid or setgid file, or a file owned by root. A slug holds only files, directories and links of the app's user.`);
  }
  const { maxBytes } = unpackLimits();
  const bytes = Number((await run('du', ['-s', '--apparent-size', '-B1', `--exclude=${join(appDir, '.git')}`, appDir])).split(/\s/)[0]);
  if (bytes > maxBytes) {
    throw new ArchiveRefusedError(`The app is ${formatSize(bytes)} unpacked; a slug may unpack to ${formatSize(maxBytes)} at most (SLIPWAY_UNPACK_MAX_BYTES).`);
  }
}

/**
 * Whether `rel` is a directory of `root` reached through directories only: tar follows symlinks on the
 * way to an operand, and a build could point one anywhere on the platform's machine.
 */
export function isRealDirectory(root: string, rel: string): boolean {
  let path = root;
  for (const part of rel.split('/')) {
    if (!part || part === '.' || part === '..') return false;
    path = join(path, part);
    try {
      if (!lstatSync(path).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Unpacks of this process in progress, by target dir: a second launch of the same slug (a one-off beside
 * the web dyno of a new release, or two apps sharing a blob) waits on the first instead of unpacking it
 * again. Process-wide on purpose: the target dir is the shared resource, whoever asks for it.
 */
const unpacking = new Map<string, Promise<void>>();

/**
 * Unpacks a slug into `dir` once (a release's read-only lower layer, shared by all its dynos), after
 * checking it (archive.ts: its symlinks may point anywhere, since they resolve inside the dyno; no hard
 * links, devices, setuid bits, root-owned entries, or more than the unpack limits). Unpacks into a temp
 * dir and renames, so a crash never leaves a half-unpacked release behind.
 */
export function unpackSlug(slugFile: string, dir: string): Promise<void> {
  const running = unpacking.get(dir);
  if (running) return running;
  const work = unpackOnce(slugFile, dir).finally(() => unpacking.delete(dir));
  unpacking.set(dir, work);
  return work;
}

/**
 * At start, before any dyno launches: half-unpacked slug trees (`<blob>.tmp-…`) a killed platform left
 * behind are removed; whole unpacks (renamed into place) are kept. Returns how many were removed.
 */
export async function sweepUnpackLeftovers(slugsDir: string): Promise<number> {
  const names = (await readdir(slugsDir).catch(() => [] as string[])).filter((n) => /\.tmp-\d+-[0-9a-f-]+$/.test(n));
  for (const n of names) await rm(join(slugsDir, n), { recursive: true, force: true });
  return names.length;
}

/**
 * Unpacks a slug layer's member into `dir` once per machine (shared read-only by the dynos of every app
 * whose slug lists it), checked as a slug is; its files are the platform's (root's, as the stack's are),
 * whatever ids the member records, so no app's dyno can change them even below its own overlay.
 */
export function unpackLayer(memberFile: string, dir: string, o: { owner?: 'platform' | 'recorded' } = {}): Promise<void> {
  const running = unpacking.get(dir);
  if (running) return running;
  // `recorded`: the ids the member records (nobody's): a build's lower dir (build/runtime-layer.ts).
  const work = unpackOnce(memberFile, dir, o.owner === 'recorded' ? undefined : ['--no-same-owner']).finally(() => unpacking.delete(dir));
  unpacking.set(dir, work);
  return work;
}

async function unpackOnce(slugFile: string, dir: string, owner = ['--same-owner', '--numeric-owner']): Promise<void> {
  // Only complete unpacks are ever renamed into place, so the directory existing means it is whole.
  if (existsSync(dir)) return;
  await checkArchive(slugFile, { symlinks: 'any' });
  const tmp = `${dir}.tmp-${process.pid}-${randomUUID()}`;
  await mkdir(tmp, { recursive: true });
  try {
    await run('tar', ['-xzf', slugFile, '-C', tmp, ...owner]);
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process unpacked the same slug meanwhile: its copy is as good as ours.
      if (!existsSync(dir)) throw err;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The entry names of a slug tarball handed in by a user, checked as every such archive is (its links
 * must stay inside it): ArchiveRefused names what is wrong; a plain Error when it is not a gzipped tar.
 */
export function listSlug(file: string): Promise<string[]> {
  return checkArchive(file);
}

/** Whether a tarball holds the app under `./app/`, as Heroku's slugs do. */
export function hasAppRoot(entries: readonly string[]): boolean {
  const real = entries.filter((e) => !/^(\.\/?)?$/.test(e));
  return real.length > 0 && real.every((e) => /^(\.\/)?app(\/|$)/.test(e));
}

/**
 * A slug as dynos expect it (the app's files at the root). A Heroku-style tarball (`./app/...`) is
 * unpacked and packed again from inside `app/` into `<file>.repacked.tgz`; any other is returned as is.
 */
export async function normalizeSlug(file: string, entries: readonly string[]): Promise<string> {
  if (!hasAppRoot(entries)) return file;
  const tmp = await mkdtemp(`${file}.unpack-`);
  try {
    await run('tar', ['-xzf', file, '-C', tmp, '--same-owner', '--numeric-owner']);
    // `app` itself must be a directory, not a link to one: packing starts inside it.
    if (!isRealDirectory(tmp, 'app')) throw new ArchiveRefusedError('"app" is not a directory.');
    // The archive holds no root-owned entry (checked); a directory it did not list (`app/` itself in a
    // tarball of files only) was made by tar as root: it takes the owner of the archive's files.
    const owner = await firstOwner(join(tmp, 'app'));
    if (owner) await run('chown', ['-hR', '--from=0:0', `${owner.uid}:${owner.gid}`, join(tmp, 'app')]);
    const out = `${file}.repacked.tgz`;
    await packSlug(join(tmp, 'app'), out);
    return out;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The owner of the first entry under `dir` that root does not own, if any. Walked by hand: Node's
 * recursive readdir descends into linked directories.
 */
async function firstOwner(dir: string): Promise<{ uid: number; gid: number } | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const st = await lstat(path);
    if (st.uid !== 0 && st.gid !== 0) return { uid: st.uid, gid: st.gid };
    const below = entry.isDirectory() ? await firstOwner(path) : undefined;
    if (below) return below;
  }
  return undefined;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim()}`))));
  });
}
