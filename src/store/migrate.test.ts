// The store's migrations on real SQLite files: a fresh data dir, an old one upgraded with its rows kept,
// a newer one refused untouched, and a failing migration rolled back to the version before it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { openStore } from './index.ts';
import { migrate, type Migration, MigrationError, schemaVersion, SchemaTooNewError } from './migrate.ts';
import { MIGRATIONS } from './schema.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'slipway-migrate-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const tables = (sqlite: Sqlite.Database) =>
  (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

test('a new data dir gets every migration', async () => {
  const file = join(dir, 'new.db');
  const store = openStore(file);
  await store.close();
  const sqlite = new Sqlite(file);
  assert.equal(schemaVersion(sqlite), MIGRATIONS.length);
  assert.ok(tables(sqlite).includes('log_drains'));
  sqlite.close();
});

test('a data dir of an older Slipway (schema 4) is upgraded and keeps its rows', async () => {
  const file = join(dir, 'old.db');
  const old = new Sqlite(file);
  // What a Slipway that knew four migrations left: their tables, user_version 4, an app in them.
  for (const m of MIGRATIONS.slice(0, 4)) old.exec(m as string);
  old.pragma('user_version = 4');
  const t = '2026-11-01T00:00:00.000Z';
  old.prepare('INSERT INTO accounts VALUES (?, ?, ?, ?, ?)').run('acc', 'op@example.com', 'hash', t, t);
  old.prepare('INSERT INTO apps (id, name, owner_id, stack, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run('app1', 'demo', 'acc', 'slipway-12', t, t);
  old.close();

  const store = openStore(file);
  const app = await store.db.selectFrom('apps').select(['name']).where('id', '=', 'app1').executeTakeFirst();
  assert.equal(app?.name, 'demo');
  // Migration 5 added builds.source_blob, 6 the log_drains table: both usable now.
  await store.db.insertInto('log_drains').values({ id: 'd1', app_id: 'app1', url: 'syslog://logs.example.com:514', token: 'd.1', created_at: t, updated_at: t }).execute();
  const builds = await store.db.selectFrom('builds').select(['source_blob']).execute();
  assert.deepEqual(builds, []);
  await store.close();
  const sqlite = new Sqlite(file);
  assert.equal(schemaVersion(sqlite), MIGRATIONS.length);
  sqlite.close();
});

test('a data dir written by a newer Slipway is refused, and left as it was', () => {
  const file = join(dir, 'newer.db');
  const newer = new Sqlite(file);
  migrate(newer, MIGRATIONS);
  newer.exec('CREATE TABLE from_the_future (x TEXT)');
  newer.pragma(`user_version = ${MIGRATIONS.length + 3}`);
  newer.close();

  assert.throws(() => openStore(file), (err: Error) => {
    assert.ok(err instanceof SchemaTooNewError);
    assert.equal(err.message, `this data dir was written by a newer Slipway (schema ${MIGRATIONS.length + 3}, this one knows ${MIGRATIONS.length}); upgrade Slipway`);
    return true;
  });
  const sqlite = new Sqlite(file);
  assert.equal(schemaVersion(sqlite), MIGRATIONS.length + 3);
  assert.ok(tables(sqlite).includes('from_the_future'));
  sqlite.close();
});

test('a failing migration is rolled back whole and the schema stays at the version before it', () => {
  const sqlite = new Sqlite(join(dir, 'failing.db'));
  const list: Migration[] = [...MIGRATIONS,
    'CREATE TABLE added_next (x TEXT); INSERT INTO added_next VALUES (\'a\');',
    // A data migration: its first write succeeds, then it fails; neither may remain.
    (db) => { db.exec('CREATE TABLE half_done (x TEXT)'); db.prepare('UPDATE added_next SET x = ?').run('changed'); throw new Error('the data was not as expected'); },
    'CREATE TABLE never_reached (x TEXT);'];
  assert.throws(() => migrate(sqlite, list), (err: Error) => {
    assert.ok(err instanceof MigrationError);
    assert.equal(err.version, MIGRATIONS.length + 2);
    assert.match(err.message, new RegExp(`migration ${MIGRATIONS.length + 2} failed .*schema stays at ${MIGRATIONS.length + 1}.*the data was not as expected`));
    return true;
  });
  assert.equal(schemaVersion(sqlite), MIGRATIONS.length + 1);
  const names = tables(sqlite);
  assert.ok(names.includes('added_next'));
  assert.ok(!names.includes('half_done'));
  assert.ok(!names.includes('never_reached'));
  assert.deepEqual(sqlite.prepare('SELECT x FROM added_next').all(), [{ x: 'a' }], 'the data change was rolled back too');

  // Fixed, it runs from where it stopped; migrations already run are not run again.
  list[MIGRATIONS.length + 1] = 'CREATE TABLE half_done (x TEXT);';
  assert.deepEqual(migrate(sqlite, list), [MIGRATIONS.length + 2, MIGRATIONS.length + 3]);
  assert.equal(schemaVersion(sqlite), MIGRATIONS.length + 3);
  assert.deepEqual(migrate(sqlite, list), []);
  sqlite.close();
});

test('a migration whose SQL fails half-way leaves none of its statements', () => {
  const sqlite = new Sqlite(join(dir, 'failing-sql.db'));
  migrate(sqlite, MIGRATIONS);
  assert.throws(() => migrate(sqlite, [...MIGRATIONS, 'CREATE TABLE first_half (x TEXT); INSERT INTO no_such_table VALUES (1);']), /no such table: no_such_table/);
  assert.equal(schemaVersion(sqlite), MIGRATIONS.length);
  assert.ok(!tables(sqlite).includes('first_half'));
  sqlite.close();
});

test('`slipway server` on such a data dir refuses to start, says why, and exits non-zero', async () => {
  const dataDir = join(dir, 'newer-dir');
  await mkdir(dataDir);
  const newer = new Sqlite(join(dataDir, 'slipway.db'));
  newer.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  newer.close();
  const bin = fileURLToPath(new URL('../../bin/slipway', import.meta.url));
  // It stops at the store, before listening; the ports are only there in case it did not.
  const env = { ...process.env, SLIPWAY_DATA_DIR: dataDir, SLIPWAY_API_PORT: '1', SLIPWAY_ROUTER_PORT: '2' };
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    // The platform's log says it (stdout, where the platform's log goes), whichever stream the terminal shows.
    execFile(bin, ['server'], { env, timeout: 60_000 }, (err, out, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? null : 0, stderr: out + stderr }));
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Slipway could not start: this data dir was written by a newer Slipway \\(schema ${MIGRATIONS.length + 1}, this one knows ${MIGRATIONS.length}\\); upgrade Slipway`));
});
