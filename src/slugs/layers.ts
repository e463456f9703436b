// Slug layers: a large directory of the app that stays the same from build to build (the Node runtime
// in `.heroku/node`, the JDK in `.jdk`) is packed as a gzip member of its own and stored apart, in the
// content-addressed blob store, once for every app and release that has the same one. A slug is then a
// small app part (a whole tar.gz of the rest) plus a list of layer blobs. The tarball a user downloads is
// the concatenation of the layers' members (their tar entries without an end marker) and the app part:
// one valid tar.gz, since gzip readers (GNU tar, zlib, Python, Go) decompress concatenated members as
// one stream and the entries read as one archive. Dynos unpack each layer once per machine and stack it
// under the app part as overlay lower dirs (dynos/, runtime/).
//
// A layer's identity is the sha256 of its tar stream, computed here by the platform from what the build
// left, never taken from the build: a build that changed its runtime makes a layer of its own, and no
// other app's layer changes. The layer index (`<blob store>/layers/<tar sha256>` → member blob) finds a
// member made before for the same stream (any app's), so an unchanged layer is hashed, not compressed.
// Its entries carry no owner of the app's (`nobody`'s ids, no names), so apps with the same runtime get
// the same stream; dynos get them unpacked as the platform's, read-only.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { TarBody } from './tar-body.ts';

/**
 * gzip level 1: on the slugs we make it is about 2.5 times as fast as the default level for about 14%
 * more bytes; deploy latency matters more here than blob store size. zlib in-process is faster than the
 * gzip program (2.6 s against 3.0 s for a JDK here).
 */
const GZIP_LEVEL = 1;

export interface TarStream {
  /** sha256 of the tar bytes (without the end marker when `body`). */
  sha256: string;
  /** Length of those bytes. */
  bytes: number;
}

/** More compressed bytes than a slug may have: the pack stops writing at once. */
export class PackTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`the compressed slug passed ${bytes} bytes`);
  }
}

/**
 * Runs `tar -cf - ...args`, hashes what it writes and gzips it into `gzipTo` (when given). With `body`,
 * the end-of-archive marker is left out, so that more tar entries may follow in a later gzip member.
 * `maxBytes` caps what is written to `gzipTo` (PackTooLargeError past it); `signal` ends it early (the
 * build's deadline): either way tar is killed and the caller removes the file.
 */
export async function tarStream(args: readonly string[], opts: { gzipTo?: string; body?: boolean; maxBytes?: number; signal?: AbortSignal } = {}): Promise<TarStream> {
  const tar = spawn('tar', ['-cf', '-', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => {
    tar.on('error', (err) => { stderr += err.message; resolve(-1); });
    tar.on('close', (code) => resolve(code ?? -1));
  });
  const hash = createHash('sha256');
  let bytes = 0;
  const stages: NodeJS.ReadWriteStream[] = [];
  if (opts.body) stages.push(new TarBody());
  stages.push(new Transform({ transform(chunk: Buffer, _e, done) { hash.update(chunk); bytes += chunk.length; done(null, chunk); } }));
  let written = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _e, done) {
      written += chunk.length;
      done(opts.maxBytes !== undefined && written > opts.maxBytes ? new PackTooLargeError(opts.maxBytes) : null, chunk);
    },
  });
  const sink = opts.gzipTo ? [createGzip({ level: GZIP_LEVEL }), cap, createWriteStream(opts.gzipTo)] : [new Writable({ write(_c, _e, done) { done(); } })];
  try {
    await pipeline([tar.stdout, ...stages, ...sink], { signal: opts.signal });
  } catch (err) {
    tar.kill('SIGKILL');
    const code = await exited;
    if (err instanceof PackTooLargeError || opts.signal?.aborted) throw err;
    // tar's own complaint (it stopped) says more than the stream cut short; else the sink failed.
    throw stderr.trim() ? tarError(code, stderr) : err;
  }
  const code = await exited;
  if (code !== 0) throw tarError(code, stderr);
  return { sha256: hash.digest('hex'), bytes };
}

function tarError(code: number, stderr: string): Error {
  return new Error(`tar exited ${code}: ${stderr.trim()}`);
}

/** The blob store as layers need it (slugs/index.ts `BlobStore`). */
export interface LayerBlobs {
  /** Where the layer index lives (the platform's alone: what it names goes into slugs unread). */
  readonly layerIndexDir: string;
  path(sha256: string): string;
  has(sha256: string): boolean;
  put(file: string): Promise<{ sha256: string; size: number }>;
  /** Marks a blob stored anew (housekeeping's grace period protects it until a row names it). */
  touch(sha256: string): Promise<void>;
  /** sha256 hex of the layers' members followed by `file`: the whole tarball's checksum. */
  checksum(layers: readonly string[], file: string): Promise<string>;
}

/** A layer of a slug, as a slug row lists it. */
export interface SlugLayer {
  /** The layer's path in the app (`.heroku/node`). */
  path: string;
  /** The gzip member's blob (sha256). */
  blob: string;
  /** Its compressed size. */
  size: number;
}

/** tar options of a layer's entries: owned by no app (nobody's ids, numeric only). */
export const LAYER_OWNER = ['--owner=:65534', '--group=:65534', '--numeric-owner'];

/** tar options every part of a slug is packed with: entries `./...` of `dir`, `.git` and `ignore` left out. */
export function packArgs(dir: string, ignore: readonly string[]): string[] {
  return ['--format=gnu', '--sort=name', '--hard-dereference', '-C', dir, '--exclude=./.git', ...ignore.map((p) => `--exclude=${p}`)];
}

/** tar arguments of the layer `path` of the app in `dir`: what a slug pack and a fill's layer both hash. */
export function layerTarArgs(dir: string, ignore: readonly string[], path: string): string[] {
  return [...packArgs(dir, ignore), ...LAYER_OWNER, `./${path}`];
}

/**
 * The layer `path`, whose tar entries `tar -cf - ...args` writes, in the blob store: a member stored
 * before for the same tar stream (any app's) when there is one, else one compressed now into `tmp` and
 * stored. Null when the layer has no entries (all of it excluded).
 */
export async function storeLayer(path: string, args: readonly string[], blobs: LayerBlobs, tmp: string, limits: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<(SlugLayer & { reused: boolean }) | null> {
  // Hashing is a tenth of compressing.
  const now = await tarStream(args, { body: true, signal: limits.signal });
  if (!now.bytes) return null;
  const known = await readIndex(blobs, now.sha256);
  // Touched so housekeeping's grace period keeps it until the slug's row names it; gone meanwhile
  // (collected), it is made again below.
  if (known && (await gzipLength(blobs.path(known.blob)).catch(() => -1)) === now.bytes % 2 ** 32 && (await blobs.touch(known.blob).then(() => true, () => false))) {
    return { path, blob: known.blob, size: known.size, reused: true };
  }
  try {
    const made = await tarStream(args, { body: true, gzipTo: tmp, ...limits });
    if (made.sha256 !== now.sha256) throw new Error(`the layer ${path} changed while it was packed`);
    const { sha256, size } = await blobs.put(tmp);
    await writeIndex(blobs, now.sha256, { blob: sha256, size });
    return { path, blob: sha256, size, reused: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

async function readIndex(blobs: LayerBlobs, tarSha: string): Promise<{ blob: string; size: number } | undefined> {
  const text = await readFile(join(blobs.layerIndexDir, tarSha), 'utf8').catch(() => '');
  const m = /^([0-9a-f]{64}) (\d+)$/.exec(text.trim());
  return m && blobs.has(m[1]!) ? { blob: m[1]!, size: Number(m[2]) } : undefined;
}

async function writeIndex(blobs: LayerBlobs, tarSha: string, member: { blob: string; size: number }): Promise<void> {
  await mkdir(blobs.layerIndexDir, { recursive: true, mode: 0o700 });
  const file = join(blobs.layerIndexDir, tarSha);
  const tmp = `${file}.tmp-${randomUUID()}`; // two builds may store one layer at once
  await writeFile(tmp, `${member.blob} ${member.size}\n`);
  await rename(tmp, file);
}

/**
 * The uncompressed length (mod 2^32) a gzip member's trailer records, or -1 when the file is too short
 * to have one: a member cut short (a crash while it was written) does not pass for a whole one.
 */
async function gzipLength(file: string): Promise<number> {
  const f = await open(file, 'r');
  try {
    const { size } = await f.stat();
    if (size < 18) return -1;
    const trailer = Buffer.alloc(4);
    await f.read(trailer, 0, 4, size - 4);
    return trailer.readUInt32LE(0);
  } finally {
    await f.close();
  }
}

/** The files' bytes one after the other: a layered slug's tarball, assembled as it is read. */
export async function* concatenated(files: readonly string[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
  }
}
