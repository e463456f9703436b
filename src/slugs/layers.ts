// Slug layers: a large directory of the app that stays the same from build to build (the JDK a JVM
// buildpack vendors into `.jdk`) is packed as a gzip member of its own, and that member is kept for
// the app's next build. A slug is then the concatenation of gzip members — the layers' tar entries
// without an end marker, then the rest of the app as a whole tar — which is one valid tar.gz: gzip
// readers (GNU tar, zlib, Python, Go) decompress concatenated members as one stream, and the entries
// read as one archive. Compressing is most of a JVM build's slug step (185 MB of JDK, about 3 s here);
// hashing the layer's tar stream to know it unchanged costs a tenth of that.
//
// A kept member is reused only when the layer's tar stream now has the same sha256 as the one it was
// made from, so a reused slug holds exactly the bytes a fresh one would. The cache directory must be
// the platform's alone (never mounted into a build): what is in it goes into slugs unread.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
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

export interface LayerMember {
  /** The layer's path in the app (`.jdk`). */
  path: string;
  /** The gzip member (in the cache). */
  file: string;
  /** Whether it was kept from an earlier build rather than compressed now. */
  reused: boolean;
}

/**
 * The gzip member of the layer `path`, whose tar entries `tar -cf - ...args` writes: the one kept in
 * `cacheDir` when the entries are unchanged, else a fresh one, kept there instead. Null when the layer
 * has no entries (all of it excluded). Callers serialize calls per cache dir (builds of one app are).
 */
export async function layerMember(path: string, args: readonly string[], cacheDir: string, limits: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<LayerMember | null> {
  const dir = join(cacheDir, encodeURIComponent(path));
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  // Left by a build the platform's crash cut short.
  for (const n of names.filter((n) => n.startsWith('.tmp-'))) await rm(join(dir, n), { force: true });
  const kept = names.filter((n) => /^[0-9a-f]{64}\.gz$/.test(n));
  if (kept.length) {
    // Hashing is a tenth of compressing: worth it only when there is a member to reuse.
    const now = await tarStream(args, { body: true, signal: limits.signal });
    if (!now.bytes) return null;
    const file = join(dir, `${now.sha256}.gz`);
    if (kept.includes(`${now.sha256}.gz`) && (await gzipLength(file)) === now.bytes % 2 ** 32) return { path, file, reused: true };
  }
  const tmp = join(dir, `.tmp-${randomUUID()}`);
  try {
    const made = await tarStream(args, { body: true, gzipTo: tmp, ...limits });
    if (!made.bytes) return null;
    const file = join(dir, `${made.sha256}.gz`);
    await rename(tmp, file);
    for (const n of kept) if (n !== `${made.sha256}.gz`) await rm(join(dir, n), { force: true });
    return { path, file, reused: false };
  } finally {
    await rm(tmp, { force: true });
  }
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

/** Writes the files one after the other into `out` (created or truncated). */
export async function concatenate(files: readonly string[], out: string): Promise<void> {
  const sink = await open(out, 'w');
  try {
    for (const file of files) {
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) await sink.write(chunk as Buffer);
    }
  } finally {
    await sink.close();
  }
}
