// `backup:restore ARCHIVE`: into an empty data dir (or one that does not exist yet). Everything is
// unpacked and checked in a staging dir beside it first: the manifest, every file against its checksum
// (a damaged or truncated archive is refused), the database's schema (one newer than this Slipway is
// refused), and the sealed secrets against the passphrase (which also proves the manifest unaltered).
// Only then do the checked trees move into the data dir; a refused restore writes nothing there.
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { databaseSchema, KNOWN_SCHEMA } from '../store/index.ts';
import { manifestAad, parseManifest, tar } from './archive.ts';
import { BackupError, open } from './crypto.ts';
import { checksums, compare } from './files.ts';

/** Restores each add-on's data from its file: leaves it where the platform's next start loads it. */
export type AddonRestorer = (dataDir: string, addons: Record<string, { provider: string; file: string }>, dir: string) => Promise<void>;

export interface RestoreBackupOptions {
  archive: string;
  dataDir: string;
  passphrase: string;
  addons?: AddonRestorer;
  say?: (line: string) => void;
}

const MANIFEST_MAX = 64 * 1024 * 1024;

export async function restoreBackup(o: RestoreBackupOptions): Promise<{ files: number; createdAt: string }> {
  const say = o.say ?? (() => undefined);
  const dataDir = resolve(o.dataDir);
  const st = await stat(o.archive).catch(() => undefined);
  if (!st?.isFile()) throw new BackupError(`${o.archive} is not a file: name the archive backup:create wrote`);
  if (existsSync(dataDir) && (await readdir(dataDir)).length > 0) {
    throw new BackupError(`${dataDir} is not empty: restore into an empty data dir (SLIPWAY_DATA_DIR), so nothing there is overwritten`);
  }
  if (!o.passphrase) throw new BackupError('the archive\'s secrets need its passphrase: set SLIPWAY_BACKUP_PASSPHRASE (or run it on a terminal to be asked)');
  await mkdir(dirname(dataDir), { recursive: true });
  const staging = await mkdtemp(join(dirname(dataDir), '.slipway-restore-'));
  try {
    await chmod(staging, 0o700);
    // Listed first: the whole archive must read (a truncated one does not), and hold only files and
    // directories, before anything is unpacked.
    const listing = (await tar(['-tvzf', resolve(o.archive)], undefined, 'the archive is damaged or truncated (tar could not read it)')).toString();
    const odd = listing.split('\n').find((l) => l && !/^[-d]/.test(l));
    if (odd) throw new BackupError(`the archive holds an entry that is not a file or directory (${odd.slice(0, 120)}); a Slipway backup holds none`);
    await tar(['-xzf', resolve(o.archive), '-C', staging, '--no-same-owner', '--delay-directory-restore'], undefined, 'the archive is damaged or truncated (tar could not read it)');
    const manifestFile = join(staging, 'manifest.json');
    const size = (await stat(manifestFile).catch(() => undefined))?.size;
    if (size === undefined) throw new BackupError('the archive has no manifest: it is not a Slipway backup, or is damaged');
    if (size > MANIFEST_MAX) throw new BackupError('the archive\'s manifest is too large to be one this platform wrote');
    const manifest = parseManifest(await readFile(manifestFile, 'utf8'));
    const found: Record<string, { sha256: string; size: number }> = {};
    for (const part of ['data', 'addons']) {
      if (!existsSync(join(staging, part))) continue;
      for (const [p, f] of Object.entries(await checksums(join(staging, part)))) found[`${part}/${p}`] = f;
    }
    compare(found, manifest.files);
    say(`${Object.keys(found).length} files match their checksums`);
    const schema = databaseSchema(join(staging, 'data', 'slipway.db'));
    if (schema > KNOWN_SCHEMA) throw new BackupError(`this backup was made by a newer Slipway (schema ${schema}, this one knows ${KNOWN_SCHEMA}): upgrade Slipway, then restore`);
    const sealed = await readFile(join(staging, 'secrets.enc')).catch(() => {
      throw new BackupError('the archive has no sealed secrets: it is damaged');
    });
    const { secrets: params, ...rest } = manifest;
    const secrets = await open(sealed, o.passphrase, manifestAad(rest), params);
    if (secrets.length > 0) await tar(['-xf', '-', '-C', join(staging, 'data'), '--no-same-owner'], secrets, 'the sealed secrets could not be unpacked');
    // Checked: now, and only now, into the data dir.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    for (const name of await readdir(join(staging, 'data'))) await rename(join(staging, 'data', name), join(dataDir, name));
    if (o.addons && Object.keys(manifest.addons).length) await o.addons(dataDir, manifest.addons, join(staging, 'addons'));
    return { files: Object.keys(found).length, createdAt: manifest.created_at };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
