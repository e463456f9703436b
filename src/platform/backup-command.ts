// `slipway backup:create --to PATH` and `slipway backup:restore ARCHIVE`: platform commands run on the
// platform's machine (as root) against SLIPWAY_DATA_DIR, while the platform runs (create) or before it
// starts on an empty data dir (restore). The passphrase sealing the archive's secrets comes from
// SLIPWAY_BACKUP_PASSPHRASE, or is asked for on a terminal (twice when creating).
import { resolve } from 'node:path';
import { BackupError, createBackup, restoreBackup } from '../backup/index.ts';
import { prompt } from '../cli/prompt.ts';
import { formatBytes } from '../health/disk.ts';
import { loadConfig } from './config.ts';
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

const USAGE = {
  create: 'Usage: slipway backup:create --to PATH\n\nWrites one archive of the platform (database, blobs, git repos, add-on data; secrets sealed with\nSLIPWAY_BACKUP_PASSPHRASE) from SLIPWAY_DATA_DIR, while the platform runs.',
  restore: 'Usage: slipway backup:restore ARCHIVE\n\nRestores an archive into SLIPWAY_DATA_DIR, which must be empty or missing; then start `slipway server`.',
};

export async function runBackupCommand(command: 'backup:create' | 'backup:restore', argv: string[]): Promise<number> {
  const kind = command === 'backup:create' ? 'create' : 'restore';
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(`${USAGE[kind]}\n`); return 0; }
  const config = loadConfig();
  try {
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
