// The config vars add-ons manage on an app (DATABASE_URL and the like, per attachment). A rollback leaves
// them as they are now: add-ons are not rolled back, so the release ledger asks which keys to keep.
import { aad, type Sealer } from '../releases/index.ts';
import type { Db } from '../store/index.ts';
import { attachmentVars } from './catalog.ts';

export async function managedKeys(db: Db, sealer: Sealer, appId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('addon_attachments').innerJoin('addons', 'addons.id', 'addon_attachments.addon_id')
    .select(['addon_attachments.name', 'addons.id', 'addons.app_id', 'addons.config']).where('addon_attachments.app_id', '=', appId).execute();
  return new Set(rows.flatMap((r) => Object.keys(attachmentVars(r.name, JSON.parse(sealer.decrypt(r.config, aad.addon(r, 'config'))) as Record<string, string>))));
}
