// `slipway pg:backups`, `pg:backups:capture [DATABASE]`, `pg:backups:restore [BACKUP] [DATABASE]`:
// pg_dump / pg_restore through the platform, dumps kept in its blob store.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { pickAttachment } from '../../addons.ts';
import { confirmApp } from '../../confirm.ts';
import { CliError } from '../../errors.ts';
import { table } from '../../ux.ts';

interface Backup { name: string; kind: string; status: string; size: number | null; error: string | null; source: string | null; addon: { name: string }; created_at: string; finished_at: string | null }

const when = (t: string | null) => (t ? t.replace('T', ' ').replace(/\.\d+Z$/, ' +0000').replace(/Z$/, ' +0000') : '');
const size = (n: number | null) => (n === null ? '' : n < 1024 ? `${n}B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(2)}KB` : `${(n / 1024 ** 2).toFixed(2)}MB`);
const status = (b: Backup) => (b.status === 'succeeded' ? `Completed ${when(b.finished_at)}` : b.status === 'failed' ? `Failed ${when(b.finished_at)}` : 'Running');

export const list = defineCommand({
  id: 'pg:backups',
  description: "list the app's database backups and restores",
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const all = await api.get<Backup[]>(`/apps/${encodeURIComponent(app)}/pg-backups`);
    if (flags.json) return ui.json(all);
    const section = (title: string, rows: Backup[], empty: string, db: (b: Backup) => string) => {
      ui.header(title);
      if (rows.length === 0) return ui.log(empty);
      ui.lines(table([['Id', 'Created at', 'Status', 'Size', 'Database'], ...[...rows].reverse().map((b) => [b.name, when(b.created_at), status(b), size(b.size), db(b)])]));
    };
    section('Backups', all.filter((b) => b.kind === 'capture'), `No backups. Capture one with slipway pg:backups:capture`, (b) => b.addon.name);
    ui.log('');
    section('Restores', all.filter((b) => b.kind === 'restore'), 'No restores found. Use slipway pg:backups:restore to restore a backup', (b) => `${b.source} → ${b.addon.name}`);
  },
});

export const capture = defineCommand({
  id: 'pg:backups:capture',
  description: 'capture a new backup',
  args: [{ name: 'database', description: 'config var or add-on name of the database (DATABASE_URL by default)' }],
  flags: { ...appFlags },
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const { addon, attachment } = await pickAttachment(api, app, 'heroku-postgresql', 'DATABASE', args.database);
    const backup = await ui.action(`Starting backup of ${addon.name}`, () => api.post<Backup>(`/apps/${encodeURIComponent(app)}/pg-backups`, { addon: addon.id }));
    ui.log('');
    ui.log('Use slipway pg:backups to see it.');
    await ui.action(`Backing up ${attachment.name} to ${backup.name}`, async () => {
      if (backup.status !== 'succeeded') throw new CliError(`Backup ${backup.name} failed: ${backup.error ?? 'unknown error'}`);
    });
  },
});

export const restore = defineCommand({
  id: 'pg:backups:restore',
  description: "restore a backup into a database\nBy default the newest backup into DATABASE_URL. The database's tables are replaced by the backup's.",
  args: [
    { name: 'backup', description: 'backup name (b001); the newest when left out' },
    { name: 'database', description: 'config var or add-on name of the database' },
  ],
  flags: { ...appFlags, confirm: flag.string({ char: 'c', helpValue: 'APP', description: 'the app name, to confirm without a prompt' }) },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const { addon } = await pickAttachment(api, app, 'heroku-postgresql', 'DATABASE', args.database);
    const name = args.backup ?? 'latest';
    await confirmApp(ui, app, flags.confirm, `overwrite the data in ${addon.name} with backup ${name}`);
    const r = await ui.action(`Starting restore of ${name} to ${addon.name}`,
      () => api.post<Backup>(`/apps/${encodeURIComponent(app)}/pg-backups/${encodeURIComponent(name)}/actions/restore`, { addon: addon.id }));
    await ui.action('Restoring', async () => {
      if (r.status !== 'succeeded') throw new CliError(`Restore ${r.name} failed: ${r.error ?? 'unknown error'}`);
    });
  },
});
