// Postgres backups of an app (Slipway's paths; Heroku serves PGBackups from its data API):
// capture, list, show and restore. The database is an attachment or add-on name, DATABASE by default.
import { Type } from 'typebox';
import { backupName, type BackupRow } from '../../addons/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AppName, AppParams, Maybe } from '../schemas.ts';
import { addonGuards } from './addons.ts';

export type BackupRouteDeps = Pick<ApiDeps, 'apps' | 'addons'>;

function backupJson(b: BackupRow) {
  return {
    id: b.id, name: backupName(b), num: b.num, kind: b.kind === 'b' ? 'capture' : 'restore', status: b.status,
    size: b.size, error: b.error, source: b.source, addon: { id: b.addon_id, name: b.addon_name },
    created_at: b.created_at, finished_at: b.finished_at,
  };
}

const BackupParams = Type.Object({ app: AppName, name: Type.String({ description: 'backup name (b001), or latest' }) });
const DatabaseBody = Type.Object({ addon: Maybe(Type.String(), 'addon must be an add-on or attachment name, e.g. "DATABASE".') });

export function addonBackupRoutes(api: Api, d: BackupRouteDeps): void {
  // Only a database owned by or attached to the app: add-on names are platform-wide.
  const database = async (appId: string, ref: string | null | undefined) => addonGuards(d).onApp(ref || 'DATABASE', appId);

  api.get('/apps/:app/pg-backups', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.addons.backups.list(a.id)).map(backupJson);
  });
  api.get('/apps/:app/pg-backups/:name', { schema: { params: BackupParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return backupJson(await d.addons.backups.find(a.id, req.params.name));
  });
  api.post('/apps/:app/pg-backups', { schema: { summary: 'Capture a backup', params: AppParams, body: DatabaseBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const addon = await database(a.id, req.body.addon);
    reply.status(201);
    return backupJson(await d.addons.backups.capture(a.id, addon));
  });
  api.post('/apps/:app/pg-backups/:name/actions/restore', { schema: { summary: 'Restore a backup', params: BackupParams, body: DatabaseBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const addon = await database(a.id, req.body.addon);
    const backup = req.params.name === 'latest' ? await d.addons.backups.latest(a.id) : await d.addons.backups.find(a.id, req.params.name);
    reply.status(201);
    return backupJson(await d.addons.backups.restore(a.id, backup, addon));
  });
}
