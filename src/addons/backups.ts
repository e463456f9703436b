// PGBackups: logical backups of a Postgres add-on (pg_dump custom format) kept in the blob store, and
// restores from them (pg_restore --clean, so the restored tables replace the current ones). Names are
// Heroku's: a per-app counter per kind, b001 for captures, r001 for restores. A backup belongs to its
// app and outlives the add-on it came from, as on Heroku. Captures and restores run to completion
// inside the request (fine for the sizes PGBackups is meant for); a failed one is kept as `failed`
// with its error.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../store/index.ts';
import { now, takeTurn } from '../store/index.ts';
import type { AddonBackupsTable } from '../store/schema.ts';
import type { Addons, AddonRow } from './index.ts';
import { AddonError, type AddonProvider } from './types.ts';

export type BackupRow = AddonBackupsTable;

/** Where dumps are kept: a content-addressed store (the slugs' blob store). */
export interface BlobStoreApi {
  path(sha256: string): string;
  has(sha256: string): boolean;
  put(file: string): Promise<{ sha256: string; size: number }>;
}

export const backupName = (b: Pick<BackupRow, 'kind' | 'num'>) => `${b.kind}${String(b.num).padStart(3, '0')}`;

export class Backups {
  constructor(private readonly o: { db: Db; addons: Addons; blobs: BlobStoreApi; tmpDir: string }) {}

  list(appId: string): Promise<BackupRow[]> {
    return this.o.db.selectFrom('addon_backups').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();
  }

  async find(appId: string, name: string): Promise<BackupRow> {
    const m = /^([a-z])(\d+)$/.exec(name);
    const row = m ? await this.o.db.selectFrom('addon_backups').selectAll().where('app_id', '=', appId)
      .where('kind', '=', m[1]!).where('num', '=', Number(m[2])).executeTakeFirst() : undefined;
    if (!row) throw new AddonError(404, 'not_found', `Backup ${name} not found. See the app's backups with pg:backups.`);
    return row;
  }

  /** The newest successful capture of the app. */
  async latest(appId: string): Promise<BackupRow> {
    const row = await this.o.db.selectFrom('addon_backups').selectAll().where('app_id', '=', appId).where('kind', '=', 'b')
      .where('status', '=', 'succeeded').orderBy('num', 'desc').limit(1).executeTakeFirst();
    if (!row) throw new AddonError(404, 'not_found', 'No backups. Capture one with pg:backups:capture.');
    return row;
  }

  /** At start, before any capture: dumps a killed platform left half-written (never stored) are removed. */
  async sweep(): Promise<number> {
    const names = await readdir(this.o.tmpDir).catch(() => [] as string[]);
    for (const n of names) await rm(join(this.o.tmpDir, n), { recursive: true, force: true });
    return names.length;
  }

  async capture(appId: string, addon: AddonRow): Promise<BackupRow> {
    this.postgres(addon);
    const row = await this.begin(appId, addon, 'b', null);
    const file = join(this.o.tmpDir, `${row.id}.dump`);
    try {
      await mkdir(this.o.tmpDir, { recursive: true, mode: 0o700 });
      await this.backupsOf(addon).dump(this.o.addons.resource(addon), file);
      const { sha256, size } = await this.o.blobs.put(file);
      return await this.finish(row, { status: 'succeeded', blob: sha256, size });
    } catch (err) {
      await rm(file, { force: true });
      return this.finish(row, { status: 'failed', error: (err as Error).message });
    }
  }

  async restore(appId: string, backup: BackupRow, addon: AddonRow): Promise<BackupRow> {
    this.postgres(addon);
    if (backup.status !== 'succeeded' || !backup.blob) throw new AddonError(422, 'invalid_params', `Backup ${backupName(backup)} did not complete; choose another.`);
    // Housekeeping keeps every backup's dump; one lost anyway (a disk restored from elsewhere) is said so.
    if (!this.o.blobs.has(backup.blob)) {
      throw new AddonError(422, 'invalid_params', `Backup ${backupName(backup)}'s dump is no longer stored on the platform, so it cannot be restored; choose another (pg:backups lists them).`);
    }
    const row = await this.begin(appId, addon, 'r', backupName(backup));
    try {
      await this.backupsOf(addon).restore(this.o.addons.resource(addon), this.o.blobs.path(backup.blob));
      return await this.finish(row, { status: 'succeeded', size: backup.size });
    } catch (err) {
      return this.finish(row, { status: 'failed', error: (err as Error).message });
    }
  }

  private postgres(addon: AddonRow): void {
    this.o.addons.checkAvailable();
    this.backupsOf(addon);
  }

  /** The add-on's provider as a backup source; only Postgres is one. */
  private backupsOf(addon: AddonRow): AddonProvider & Required<Pick<AddonProvider, 'dump' | 'restore'>> {
    const provider = this.o.addons.provider(addon);
    if (!provider.dump || !provider.restore) throw new AddonError(422, 'invalid_params', `${addon.name} is not a heroku-postgresql database; backups are for Postgres.`);
    return provider as AddonProvider & Required<Pick<AddonProvider, 'dump' | 'restore'>>;
  }

  private begin(appId: string, addon: AddonRow, kind: string, source: string | null): Promise<BackupRow> {
    return this.o.db.transaction().execute(async (trx) => {
      await takeTurn(trx, appId);
      const last = await trx.selectFrom('addon_backups').select((eb) => eb.fn.max('num').as('n')).where('app_id', '=', appId).where('kind', '=', kind).executeTakeFirst();
      const row: BackupRow = {
        id: randomUUID(), app_id: appId, addon_id: addon.id, addon_name: addon.name, kind, num: Number(last?.n ?? 0) + 1,
        status: 'running', blob: null, size: null, error: null, source, created_at: now(), finished_at: null,
      };
      await trx.insertInto('addon_backups').values(row).execute();
      return row;
    });
  }

  private async finish(row: BackupRow, patch: Partial<BackupRow>): Promise<BackupRow> {
    const done = { ...row, ...patch, finished_at: now() };
    await this.o.db.updateTable('addon_backups').set({ status: done.status, blob: done.blob, size: done.size, error: done.error, finished_at: done.finished_at })
      .where('id', '=', row.id).execute();
    return done;
  }
}
