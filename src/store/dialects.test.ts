// The store on both dialects: every migration makes the same tables and columns on PostgreSQL as on
// SQLite; an older PostgreSQL database is upgraded keeping its rows, a newer one refused untouched, a
// failing migration rolled back; two processes opening one database at once migrate it once; what the
// components rely on (upserts, cascades, constraint errors, integer columns, a reserved word as a column)
// behaves the same. PostgreSQL is a real server (a throwaway cluster, test-helpers.ts).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { isForeignKeyViolation, isUniqueViolation, openDatabase, type OpenedStore } from './index.ts';
import { MigrationError, SchemaTooNewError } from './migrate.ts';
import { migratePostgres, postgresConfig, schemaVersionOf } from './postgres.ts';
import { MIGRATIONS } from './schema.ts';
import { TestStores } from './test-helpers.ts';

const stores = new TestStores();
after(() => stores.close());
const t = '2026-12-01T00:00:00.000Z';

async function seed(store: OpenedStore): Promise<void> {
  await store.db.insertInto('accounts').values({ id: 'acc', email: 'op@example.com', api_key_hash: 'h', created_at: t, updated_at: t }).execute();
  await store.db.insertInto('apps').values({ id: 'a1', name: 'demo', owner_id: 'acc', stack: 'slipway-12', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
}

async function withPool<T>(url: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool(postgresConfig(url, 2));
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

for (const dialect of stores.dialects) {
  describe(dialect, { skip: stores.skip(dialect) }, () => {
    test('upserts, cascades and constraint errors behave as the components expect', async () => {
      const store = await stores.open(dialect);
      const db = store.db;
      await seed(store);
      // Upsert (ON CONFLICT ... DO UPDATE), as config vars and metrics are written.
      for (const value of ['one', 'two']) {
        await db.insertInto('config_vars').values({ app_id: 'a1', key: 'K', value }).onConflict((oc) => oc.columns(['app_id', 'key']).doUpdateSet({ value })).execute();
      }
      assert.deepEqual(await db.selectFrom('config_vars').select(['key', 'value']).execute(), [{ key: 'K', value: 'two' }]);
      // A second app of the same name: the error apps.create turns into "Name demo is already taken".
      const dup = await db.insertInto('apps').values({ id: 'a2', name: 'demo', owner_id: 'acc', stack: 's', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute().catch((e: unknown) => e);
      assert.ok(isUniqueViolation(dup), `a unique violation: ${String(dup)}`);
      assert.ok(!isForeignKeyViolation(dup));
      // A row of an app that is not there: what the metrics stores ignore.
      const orphan = await db.insertInto('router_metrics').values({ app_id: 'gone', minute: t, data: '{}' }).execute().catch((e: unknown) => e);
      assert.ok(isForeignKeyViolation(orphan), `a foreign key violation: ${String(orphan)}`);
      // Integers: a slug past 2 GiB and count()/max() come back as numbers, as from SQLite.
      await db.insertInto('slugs').values({ id: 's1', app_id: 'a1', blob: 'b', size: 3 * 2 ** 30, process_types: '{}', commit: null, commit_description: null, stack: 's', buildpack_provided_description: null, created_at: t }).execute();
      assert.equal((await db.selectFrom('slugs').select('size').executeTakeFirstOrThrow()).size, 3 * 2 ** 30);
      const agg = await db.selectFrom('slugs').select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('size').as('m')]).executeTakeFirstOrThrow();
      assert.deepEqual({ n: agg.n, m: agg.m }, { n: 1, m: 3 * 2 ** 30 });
      // `authorization` (reserved in PostgreSQL) as a column name.
      await db.insertInto('app_webhooks').values({ id: 'w1', app_id: 'a1', include: '[]', level: 'notify', url: 'https://example.com', secret: null, authorization: 'Bearer x', created_at: t, updated_at: t }).execute();
      assert.equal((await db.selectFrom('app_webhooks').select('authorization').executeTakeFirstOrThrow()).authorization, 'Bearer x');
      // Text sorts by bytes in both (upper case before lower case).
      await db.insertInto('config_vars').values([{ app_id: 'a1', key: 'b', value: '' }, { app_id: 'a1', key: 'A', value: '' }]).execute();
      assert.deepEqual((await db.selectFrom('config_vars').select('key').orderBy('key').execute()).map((r) => r.key), ['A', 'K', 'b']);
      // Destroying an app takes what it owns (ON DELETE CASCADE).
      await db.deleteFrom('apps').where('id', '=', 'a1').execute();
      assert.deepEqual(await db.selectFrom('config_vars').selectAll().execute(), []);
      assert.deepEqual(await db.selectFrom('slugs').selectAll().execute(), []);
      // A transaction that fails leaves nothing.
      await assert.rejects(db.transaction().execute(async (trx) => {
        await trx.insertInto('teams').values({ id: 't1', name: 'x', created_at: t, updated_at: t }).execute();
        throw new Error('no');
      }));
      assert.deepEqual(await db.selectFrom('teams').selectAll().execute(), []);
    });
  });
}

describe('postgres', { skip: stores.skip('postgres') }, () => {
  test('every migration makes the same tables and columns as on SQLite', async () => {
    const store = await stores.open('postgres');
    const lite = new Sqlite(':memory:');
    for (const m of MIGRATIONS) lite.exec(m as string);
    const liteTables = lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    const expected: Record<string, string[]> = {};
    for (const { name } of liteTables) {
      const cols = lite.prepare(`SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info('${name}')`).all() as { name: string; type: string; nn: number; pk: number }[];
      expected[name] = cols.map((c) => `${c.name} ${{ INTEGER: 'bigint', REAL: 'double precision' }[c.type] ?? 'text'}${c.nn || c.pk ? ' not null' : ''}`).sort();
    }
    lite.close();
    const rows = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>`
      SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> 'slipway_schema'`.execute(store.db);
    const actual: Record<string, string[]> = {};
    for (const r of rows.rows) (actual[r.table_name] ??= []).push(`${r.column_name} ${r.data_type}${r.is_nullable === 'NO' ? ' not null' : ''}`);
    for (const k of Object.keys(actual)) actual[k]!.sort();
    assert.deepEqual(actual, expected);
  });

  test('an older database is upgraded and keeps its rows; a newer one is refused untouched', async () => {
    const url = await (await stores.postgres()).database();
    await withPool(url, (pool) => migratePostgres(pool, MIGRATIONS.slice(0, 4)));
    await withPool(url, async (pool) => {
      await pool.query('INSERT INTO accounts VALUES ($1, $2, $3, $4, $5)', ['acc', 'op@example.com', 'hash', t, t]);
      await pool.query('INSERT INTO apps (id, name, owner_id, stack, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)', ['app1', 'demo', 'acc', 'slipway-12', t, t]);
    });
    const store = await openDatabase({ file: '', url });
    assert.equal((await store.db.selectFrom('apps').select('name').where('id', '=', 'app1').executeTakeFirst())?.name, 'demo');
    // Migration 6 made log_drains: usable now.
    await store.db.insertInto('log_drains').values({ id: 'd1', app_id: 'app1', url: 'syslog://logs.example.com:514', token: 'd.1', created_at: t, updated_at: t }).execute();
    await store.close();

    await withPool(url, (pool) => pool.query('UPDATE slipway_schema SET version = $1', [MIGRATIONS.length + 2]));
    await assert.rejects(openDatabase({ file: '', url }), (err: Error) => {
      assert.ok(err instanceof SchemaTooNewError);
      assert.match(err.message, new RegExp(`newer Slipway \\(schema ${MIGRATIONS.length + 2}, this one knows ${MIGRATIONS.length}\\)`));
      return true;
    });
    assert.equal(await withPool(url, async (pool) => { const c = await pool.connect(); try { return await schemaVersionOf(c); } finally { c.release(); } }), MIGRATIONS.length + 2);
  });

  test('a failing migration is rolled back whole; the schema stays at the version before it', async () => {
    const url = await (await stores.postgres()).database();
    const list = [...MIGRATIONS, 'CREATE TABLE added_next (x TEXT);', "CREATE TABLE half_done (x TEXT); INSERT INTO added_next VALUES ('a'); INSERT INTO no_such_table VALUES (1);", 'CREATE TABLE never_reached (x TEXT);'];
    await withPool(url, async (pool) => {
      await assert.rejects(migratePostgres(pool, list), (err: Error) => {
        assert.ok(err instanceof MigrationError);
        assert.match(err.message, new RegExp(`migration ${MIGRATIONS.length + 2} failed .*schema stays at ${MIGRATIONS.length + 1}.*no_such_table`));
        return true;
      });
      const tables = (await pool.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'")).rows.map((r) => r.t);
      assert.ok(tables.includes('added_next'));
      assert.ok(!tables.includes('half_done'));
      assert.ok(!tables.includes('never_reached'));
      assert.deepEqual((await pool.query('SELECT * FROM added_next')).rows, []);
      list[MIGRATIONS.length + 1] = 'CREATE TABLE half_done (x TEXT);';
      assert.deepEqual(await migratePostgres(pool, list), [MIGRATIONS.length + 2, MIGRATIONS.length + 3]);
    });
  });

  test('two platform processes opening one new database at once: it is migrated once, both work', async () => {
    const url = await (await stores.postgres()).database();
    const [a, b] = await Promise.all([openDatabase({ file: '', url }), openDatabase({ file: '', url })]);
    await seed(a);
    assert.equal((await b.db.selectFrom('apps').select('name').executeTakeFirstOrThrow()).name, 'demo');
    await Promise.all([a.close(), b.close()]);
    assert.equal(await withPool(url, async (pool) => { const c = await pool.connect(); try { return await schemaVersionOf(c); } finally { c.release(); } }), MIGRATIONS.length);
  });
});
