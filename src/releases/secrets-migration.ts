// The one-time migration of secrets at rest to the current format (cipher.ts): every config var, release
// snapshot, add-on `config`/`resource`, SNI private key and drain URL that an older version stored in
// clear or as `enc:v1:` is re-encrypted under the derived key, bound to its row. It runs at start before
// anything reads those tables, in one transaction with its record in `platform_state`, so it runs once:
// a crash leaves either every value migrated and the record written, or neither. Then the database file
// is rewritten (VACUUM) and its write-ahead log emptied, so the old values in clear are gone from disk.
import { sql } from 'kysely';
import type { Db } from '../store/index.ts';
import { isSqlite, now, takeTurn } from '../store/index.ts';
import { aad, ConfigCipher } from './cipher.ts';

const RECORD = 'migration:secrets-at-rest-v2';

/** Returns how many values were re-encrypted (0 when it had run before). */
export async function migrateSecrets(db: Db, cipher: ConfigCipher): Promise<number> {
  if (await db.selectFrom('platform_state').select('name').where('name', '=', RECORD).executeTakeFirst()) return 0;
  const again = (stored: string, where: string) => (ConfigCipher.isEncrypted(stored) ? stored : cipher.encrypt(cipher.decryptLegacy(stored), where));
  const n = await db.transaction().execute(async (trx) => {
    // Platform processes starting together on one PostgreSQL database: one migrates, the others see its record.
    await takeTurn(trx, RECORD);
    if (await trx.selectFrom('platform_state').select('name').where('name', '=', RECORD).executeTakeFirst()) return 0;
    let n = 0;
    for (const r of await trx.selectFrom('config_vars').selectAll().execute()) {
      await trx.updateTable('config_vars').set({ value: again(r.value, aad.configVar(r.app_id, r.key)) })
        .where('app_id', '=', r.app_id).where('key', '=', r.key).execute();
      n++;
    }
    for (const r of await trx.selectFrom('releases').select(['id', 'app_id', 'config']).execute()) {
      await trx.updateTable('releases').set({ config: again(r.config, aad.releaseConfig(r)) }).where('id', '=', r.id).execute();
      n++;
    }
    for (const r of await trx.selectFrom('addons').select(['id', 'app_id', 'config', 'resource']).execute()) {
      await trx.updateTable('addons').set({ config: again(r.config, aad.addon(r, 'config')), resource: again(r.resource, aad.addon(r, 'resource')) })
        .where('id', '=', r.id).execute();
      n += 2;
    }
    for (const r of await trx.selectFrom('sni_endpoints').select(['id', 'app_id', 'private_key']).execute()) {
      await trx.updateTable('sni_endpoints').set({ private_key: again(r.private_key, aad.sniKey(r)) }).where('id', '=', r.id).execute();
      n++;
    }
    for (const r of await trx.selectFrom('log_drains').select(['id', 'app_id', 'url']).execute()) {
      await trx.updateTable('log_drains').set({ url: again(r.url, aad.drainUrl(r)) }).where('id', '=', r.id).execute();
      n++;
    }
    await trx.insertInto('platform_state').values({ name: RECORD, value: String(n), updated_at: now() }).execute();
    return n;
  });
  // The values in clear are still in the pages and the log they were overwritten in: rewrite the file.
  // (PostgreSQL's old row versions go with its own vacuum; the operator runs that server.)
  if (n > 0 && isSqlite(db)) {
    await sql`VACUUM`.execute(db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  }
  return n;
}
