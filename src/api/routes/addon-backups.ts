// Postgres backups of an app (Slipway's paths; Heroku serves PGBackups from its data API):
// capture, list, show and restore. The database is an attachment or add-on name, DATABASE by default.
import type { FastifyInstance } from 'fastify';
import { backupName, type BackupRow } from '../../addons/index.ts';
import type { ApiDeps } from '../deps.ts';
import { findApp } from './common.ts';
import { guard } from './addons.ts';

type Params = { app: string };

function backupJson(b: BackupRow) {
  return {
    id: b.id, name: backupName(b), num: b.num, kind: b.kind === 'b' ? 'capture' : 'restore', status: b.status,
    size: b.size, error: b.error, source: b.source, addon: { id: b.addon_id, name: b.addon_name },
    created_at: b.created_at, finished_at: b.finished_at,
  };
}

export function addonBackupRoutes(api: FastifyInstance, d: ApiDeps): void {
  const database = async (appId: string, ref: unknown) => d.addons.get(typeof ref === 'string' && ref ? ref : 'DATABASE', appId);

  api.get<{ Params: Params }>('/apps/:app/pg-backups', async (req) => {
    const a = await findApp(d, req.params.app);
    return (await d.addons.backups.list(a.id)).map(backupJson);
  });
  api.get<{ Params: Params & { name: string } }>('/apps/:app/pg-backups/:name', async (req) => {
    const a = await findApp(d, req.params.app);
    return guard(async () => backupJson(await d.addons.backups.find(a.id, req.params.name)));
  });
  api.post<{ Params: Params }>('/apps/:app/pg-backups', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    return guard(async () => {
      const addon = await database(a.id, (req.body as { addon?: unknown } | undefined)?.addon);
      reply.status(201);
      return backupJson(await d.addons.backups.capture(a.id, addon));
    });
  });
  api.post<{ Params: Params & { name: string } }>('/apps/:app/pg-backups/:name/actions/restore', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    return guard(async () => {
      const addon = await database(a.id, (req.body as { addon?: unknown } | undefined)?.addon);
      const backup = req.params.name === 'latest' ? await d.addons.backups.latest(a.id) : await d.addons.backups.find(a.id, req.params.name);
      reply.status(201);
      return backupJson(await d.addons.backups.restore(a.id, backup, addon));
    });
  });
}
