// What a backup archive is: a gzip'd tar (GNU tar) holding, in this order,
//   manifest.json  format and version, when, the schema version, every file's size and sha256, and the
//                  parameters the secrets were sealed with;
//   secrets.enc    a tar of the data dir's secrets, sealed with the operator's passphrase (crypto.ts);
//   data/          what goes back into the data dir: the database (an online backup), the blob store
//                  (slugs, add-on backups), the apps' git repos, build and release output;
//   addons/        each add-on's data: a pg_dump of each Postgres database, an RDB of each Redis.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { FileEntry } from './files.ts';
import { BackupError, type SealParams } from './crypto.ts';

export const FORMAT = 'slipway-backup';
export const VERSION = 1;

/** Trees of the data dir the archive carries in clear (the database is copied on its own). */
export const PLAIN_TREES = ['blobs', 'repos', 'output'] as const;
/** Parts of the data dir that are secret: only ever in the archive sealed. */
export const SECRET_PARTS = ['secrets', 'operator.key', 'tls'] as const;

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  created_at: string;
  /** The database's schema version (store/ migrations) when it was copied. */
  schema: number;
  files: Record<string, FileEntry>;
  /** The add-ons whose data is under addons/: id → provider and file. */
  addons: Record<string, { provider: string; file: string }>;
  secrets: SealParams;
}

/** The associated data the secrets are sealed with: everything in the manifest but the seal itself. */
export function manifestAad(m: Omit<Manifest, 'secrets'>): Buffer {
  const { format, version, created_at, schema, files, addons } = m;
  return createHash('sha256').update(JSON.stringify({ format, version, created_at, schema, files, addons })).digest();
}

/** Runs tar; resolves with its stdout; `input` goes to its stdin. Throws BackupError with tar's complaint. */
export function tar(args: string[], input?: Buffer, what = 'tar'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    child.on('error', (e) => reject(new BackupError(`could not run tar: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new BackupError(`${what}: ${err.trim().split('\n').slice(-2).join('; ') || `tar exited with ${code}`}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Reads and checks a manifest's text; throws BackupError naming what is wrong. */
export function parseManifest(text: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text);
  } catch {
    throw new BackupError('the archive\'s manifest is not readable: the archive is damaged');
  }
  if (m?.format !== FORMAT) throw new BackupError('this is not a Slipway backup (its manifest names no slipway-backup format)');
  if (m.version !== VERSION) throw new BackupError(`this backup is in format version ${m.version}; this Slipway reads version ${VERSION}: restore it with the Slipway that made it, or a newer one`);
  if (typeof m.files !== 'object' || m.files === null || typeof m.secrets !== 'object' || typeof m.schema !== 'number') throw new BackupError('the archive\'s manifest is incomplete: the archive is damaged');
  m.addons ??= {};
  return m;
}
