// The Builds API's source: a .tar.gz fetched from a URL (checksum verified when given) and unpacked into
// the build dir. A tarball whose entries all sit under one top-level directory (GitHub's archives do)
// is unpacked from inside that directory, as Heroku does. The tarball is checked before it is unpacked
// (slugs/archive.ts: no links leading out, no hard links, devices, FIFOs, setuid bits, `..` or absolute
// names, bounded size); its owners are not kept, so root-owned entries (GitHub's) are fine.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { ArchiveRefused, checkArchive } from '../slugs/index.ts';
import { egressFromEnv, guardedGet, type EgressPolicy } from '../egress/index.ts';
import { BuildRejected } from './index.ts';

/** Largest source tarball accepted (Heroku's checkout limit is 1 GB uncompressed; this is compressed). */
export const SOURCE_MAX_BYTES = 1024 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10 * 60_000;

export class SourceError extends BuildRejected {}

export async function fetchSource(url: string, dir: string, checksum?: string, egress: EgressPolicy = egressFromEnv()): Promise<void> {
  const work = await mkdtemp(join(dirname(dir), 'source-'));
  try {
    const file = join(work, 'source.tgz');
    const sha256 = await download(url, file, egress);
    if (checksum && checksum.toLowerCase() !== `sha256:${sha256}`) {
      throw new SourceError(`The source tarball's checksum is SHA256:${sha256}, not the ${checksum} the build asked for; nothing was built.`);
    }
    await checkArchive(file, { rootOwned: true }).catch((err: Error) => {
      if (err instanceof ArchiveRefused) throw new SourceError(`The source tarball was refused: ${err.message}`);
      throw new SourceError(`The source is not a gzipped tar archive (${err.message.split('\n')[0]}).`);
    });
    const tree = join(work, 'tree');
    await run('mkdir', ['-p', tree]);
    await run('tar', ['-xzf', file, '-C', tree, '--no-same-owner', '--no-same-permissions']).catch((err: Error) => {
      throw new SourceError(`The source is not a gzipped tar archive (${err.message.split('\n')[0]}).`);
    });
    let root = tree;
    const top = await readdir(tree);
    if (top.length === 1 && (await lstat(join(tree, top[0]!))).isDirectory()) root = join(tree, top[0]!);
    for (const entry of await readdir(root)) await rename(join(root, entry), join(dir, entry));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function download(url: string, file: string, egress: EgressPolicy): Promise<string> {
  let res: IncomingMessage;
  try {
    // Through the egress guard: never to loopback, link-local or private addresses unless allowed.
    res = await guardedGet(url, egress, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SourceError(`Could not fetch the source tarball: ${e.code === 'EGRESS_REFUSED' ? e.message : e.code ?? e.message}.`);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    res.resume();
    throw new SourceError(`Fetching the source tarball answered HTTP ${status}; check source_blob.url.`);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const counted = res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
    if (bytes > SOURCE_MAX_BYTES) counted.destroy(new SourceError(`The source tarball is larger than ${SOURCE_MAX_BYTES / 1024 / 1024} MB.`));
  });
  await pipeline(counted, createWriteStream(file));
  return hash.digest('hex');
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err.trim() || `${cmd} exited ${code}`))));
  });
}
