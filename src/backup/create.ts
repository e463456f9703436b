// `backup:create`: one archive of a data dir, taken while the platform runs. The database is SQLite's
// online backup (a consistent snapshot; the platform keeps writing), the blob store is hard-linked
// (its files never change once named), everything else is copied, all into a staging dir inside the
// data dir; then checksums, the sealed secrets, and the archive written beside its destination and
// renamed onto it, so a backup cut short never leaves a file that looks whole.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { backupDatabase } from '../store/index.ts';
import { FORMAT, manifestAad, PLAIN_TREES, SECRET_PARTS, tar, VERSION, type Manifest } from './archive.ts';
import { BackupError, seal } from './crypto.ts';
import { checksums, copyTree } from './files.ts';

/** Dumps each add-on's data into `dir` (one file each); what it wrote, by add-on id. */
export type AddonDumper = (dir: string) => Promise<Record<string, { provider: string; file: string }>>;

export interface CreateBackupOptions {
  dataDir: string;
  to: string;
  passphrase: string;
  addons?: AddonDumper;
  /** More secret files (relative to the data dir) to seal with the rest: add-on servers' credentials. */
  secretPaths?: string[];
  say?: (line: string) => void;
}

export async function createBackup(o: CreateBackupOptions): Promise<{ file: string; bytes: number; files: number }> {
  const say = o.say ?? (() => undefined);
  const db = join(o.dataDir, 'slipway.db');
  if (!existsSync(db)) throw new BackupError(`${o.dataDir} holds no Slipway database: point SLIPWAY_DATA_DIR at the platform's data dir`);
  if (!o.passphrase) throw new BackupError('a backup needs a passphrase for its secrets: set SLIPWAY_BACKUP_PASSPHRASE (or run it on a terminal to be asked)');
  await mkdir(dirname(o.to), { recursive: true });
  const staging = await mkdtemp(join(o.dataDir, '.backup-'));
  const partial = join(dirname(o.to), `.${basename(o.to)}.partial-${process.pid}`);
  try {
    await chmod(staging, 0o700);
    const data = join(staging, 'data');
    await mkdir(data);
    const schema = await backupDatabase(db, join(data, 'slipway.db'));
    say(`database copied (online backup, schema ${schema})`);
    for (const tree of PLAIN_TREES) {
      const skipped = await copyTree(join(o.dataDir, tree), join(data, tree), tree === 'blobs' ? 'link' : 'copy');
      if (skipped.length) say(`left out of ${tree}/ (not regular files): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ' ...' : ''}`);
    }
    const addonsDir = join(staging, 'addons');
    await mkdir(addonsDir);
    const addons = o.addons ? await o.addons(addonsDir) : {};
    if (Object.keys(addons).length) say(`add-on data dumped: ${Object.keys(addons).length} add-on${Object.keys(addons).length === 1 ? '' : 's'}`);
    const files = { ...prefixed('data', await checksums(data)), ...prefixed('addons', await checksums(addonsDir)) };
    const secretParts = [...SECRET_PARTS, ...(o.secretPaths ?? [])].filter((p) => existsSync(join(o.dataDir, p)));
    const secrets = secretParts.length ? await tar(['-cf', '-', '-C', o.dataDir, '--', ...secretParts], undefined, 'reading the secrets failed') : Buffer.alloc(0);
    const base: Omit<Manifest, 'secrets'> = { format: FORMAT, version: VERSION, created_at: new Date().toISOString(), schema, files, addons };
    const { params, sealed } = await seal(secrets, o.passphrase, manifestAad(base));
    await writeFile(join(staging, 'secrets.enc'), sealed, { mode: 0o600 });
    await writeFile(join(staging, 'manifest.json'), `${JSON.stringify({ ...base, secrets: params }, null, 1)}\n`, { mode: 0o600 });
    await tar(['-czf', partial, '-C', staging, 'manifest.json', 'secrets.enc', 'data', 'addons'], undefined, 'writing the archive failed');
    await chmod(partial, 0o600);
    await rename(partial, o.to);
    const bytes = (await stat(o.to)).size;
    return { file: o.to, bytes, files: Object.keys(files).length };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(partial, { force: true });
  }
}

function prefixed(prefix: string, files: Record<string, { sha256: string; size: number }>) {
  return Object.fromEntries(Object.entries(files).map(([p, f]) => [`${prefix}/${p}`, f]));
}
