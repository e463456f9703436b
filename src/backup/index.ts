// Backups of a whole platform: `backup:create` (an archive of a data dir, taken while it runs) and
// `backup:restore` (into an empty data dir, on this machine or another), and backups on a schedule.
export { createBackup, type AddonDumper, type CreateBackupOptions } from './create.ts';
export { restoreBackup, type AddonRestorer, type RestoreBackupOptions } from './restore.ts';
export { BackupError } from './crypto.ts';
export { BackupSchedule, parseSchedule, expired, archiveName } from './schedule.ts';
