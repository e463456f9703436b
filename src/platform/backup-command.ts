// `slipway backup:create --to PATH` and `slipway backup:restore ARCHIVE`: platform commands run on the
// platform's machine (as root) against SLIPWAY_DATA_DIR, while the platform runs (create) or before it
// starts on an empty data dir (restore). The passphrase sealing the archive's secrets comes from
// SLIPWAY_BACKUP_PASSPHRASE, or is asked for on a terminal (twice when creating).
import { resolve } from 'node:path';
import { BackupError, BackupSchedule, createBackup, restoreBackup } from '../backup/index.ts';
import type { Logger } from '../logger/index.ts';
import { prompt } from '../cli/prompt.ts';
import { formatBytes } from '../health/disk.ts';
import { loadConfig, type PlatformConfig } from './config.ts';
import { addonDumper, addonRestorer, addonSecretPaths } from './backup-addons.ts';

const say = (line: string) => process.stderr.write(`${line}\n`);

async function passphrase(confirm: boolean): Promise<string> {
  const given = process.env.SLIPWAY_BACKUP_PASSPHRASE;
  if (given) return given;
  if (!process.stdin.isTTY) throw new BackupError('set SLIPWAY_BACKUP_PASSPHRASE: the passphrase that seals the archive\'s secrets (no terminal to ask on)');
  const first = await prompt('Backup passphrase: ', process.stdin, process.stderr, true);
  if (confirm && first !== await prompt('Again: ', process.stdin, process.stderr, true)) throw new BackupError('the two passphrases differ; nothing was written');
  return first;
}

/**
 * An archive holds a data dir with everything in it; a platform sharing its state (PostgreSQL, blobs
 * elsewhere) is backed up by what keeps that state: the database server's own tools and the shared filesystem's.
 */
function sharedStateProblem(config: PlatformConfig): string | undefined {
  if (config.databaseUrl) return 'this platform keeps its state in PostgreSQL (SLIPWAY_DATABASE_URL): back that database up with pg_dump, and SLIPWAY_BLOB_DIR with the shared filesystem\'s own backups';
  if (config.blobDir) return 'this platform keeps its blobs outside the data dir (SLIPWAY_BLOB_DIR), which an archive does not cover: back that directory up with the filesystem\'s own tools, or unset it';
  return undefined;
}

const USAGE = {
  create: 'Usage: slipway backup:create --to PATH\n\nWrites one archive of the platform (database, blobs, git repos, add-on data; secrets sealed with\nSLIPWAY_BACKUP_PASSPHRASE) from SLIPWAY_DATA_DIR, while the platform runs.',
  restore: 'Usage: slipway backup:restore ARCHIVE\n\nRestores an archive into SLIPWAY_DATA_DIR, which must be empty or missing; then start `slipway server`.',
};

export async function runBackupCommand(command: 'backup:create' | 'backup:restore', argv: string[]): Promise<number> {
  const kind = command === 'backup:create' ? 'create' : 'restore';
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(`${USAGE[kind]}\n`); return 0; }
  const config = loadConfig();
  try {
    const shared = sharedStateProblem(config);
    if (shared) throw new BackupError(shared);
    if (kind === 'create') {
      const at = argv.indexOf('--to');
      const to = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--to='))?.slice(5);
      if (!to || argv.length !== (at >= 0 ? 2 : 1)) { say(USAGE.create); return 2; }
      const r = await createBackup({ dataDir: config.dataDir, to: resolve(to), passphrase: await passphrase(true), addons: addonDumper(config), secretPaths: await addonSecretPaths(config.dataDir), say });
      process.stdout.write(`Backup of ${config.dataDir} written to ${r.file} (${formatBytes(r.bytes)}, ${r.files} files).\n`);
    } else {
      if (argv.length !== 1 || argv[0]!.startsWith('-')) { say(USAGE.restore); return 2; }
      const r = await restoreBackup({ archive: argv[0]!, dataDir: config.dataDir, passphrase: await passphrase(false), addons: addonRestorer(), say });
      process.stdout.write(`Restored the backup of ${r.createdAt} into ${config.dataDir} (${r.files} files checked). Start it with \`slipway server\`.\n`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    say(` ▸    ${kind === 'create' ? 'Backup failed' : 'Restore refused'}: ${err.message}.`);
    return 1;
  }
}

/** The platform's scheduled backups (SLIPWAY_BACKUP_SCHEDULE), the same archive as backup:create. */
export function scheduleBackups(config: PlatformConfig, s: NonNullable<PlatformConfig['backupSchedule']>, log: Logger): BackupSchedule {
  const l = log.child({ component: 'backup' });
  const schedule = new BackupSchedule({
    dir: s.dir, everyMs: s.everyMs, keep: s.keep, log: { info: (m) => l.info(m), error: (m) => l.error(m) },
    backup: async (to) => {
      await createBackup({ dataDir: config.dataDir, to, passphrase: s.passphrase, addons: addonDumper(config), secretPaths: await addonSecretPaths(config.dataDir) });
    },
  });
  schedule.start();
  l.info(`backups every ${Math.round(s.everyMs / 60_000)} min into ${s.dir}, the newest ${s.keep} kept`);
  return schedule;
}
