// The control plane on PostgreSQL (`SLIPWAY_DATABASE_URL=postgres://...`), for platform processes on
// several machines that share one state. The same Kysely queries run on it as on SQLite; the migrations
// are SQLite's SQL, rewritten for PostgreSQL by `postgresMigration` (a handful of rules, so each schema
// change is written once and both dialects get the same tables). The schema version is the row of
// `slipway_schema` (SQLite's is `user_version`); each migration runs in its own transaction with its
// version bump (PostgreSQL's DDL is transactional), under an advisory lock so two processes starting at
// once migrate one after the other.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type Migration, MigrationError, SchemaTooNewError } from './migrate.ts';
import type { Database } from './schema.ts';

/** The advisory lock key (any fixed bigint) held while migrating. */
const MIGRATE_LOCK = 7_305_921_001;

/**
 * What the SQLite migrations say that PostgreSQL says otherwise:
 * - INTEGER is SQLite's 64-bit integer: BIGINT (read back as a JS number, see `TYPES`); REAL its 8-byte
 *   float: DOUBLE PRECISION (PostgreSQL's REAL has 4 bytes).
 * - TEXT compares and sorts by bytes in SQLite: the C collation does the same in PostgreSQL.
 * - `authorization` is a reserved word in PostgreSQL: quoted as a column name (Kysely quotes it in queries).
 */
export function postgresMigration(sqlite: string): string {
  return sqlite
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\bTEXT\b/g, 'TEXT COLLATE "C"')
    .replace(/([(,\s])(authorization)(\s+TEXT)/g, '$1"$2"$3');
}

/**
 * int8 (BIGINT columns, count(*), max() of them) as a JS number, as better-sqlite3 answers: every
 * integer the platform stores (sizes, versions, counts) is far below 2^53.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Connection settings for the database URL. TCP keepalives on both ends: a platform process whose machine
 * is gone is noticed by the server within ~15 s, which ends its session (and the leader lock it held).
 */
export function postgresConfig(url: string, max = 10): pg.PoolConfig {
  return {
    connectionString: url, max, types: TYPES, keepAlive: true, keepAliveInitialDelayMillis: 5000,
    application_name: 'slipway', connectionTimeoutMillis: 10_000,
    options: '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=5',
  };
}

export async function schemaVersionOf(client: pg.ClientBase): Promise<number> {
  await client.query('CREATE TABLE IF NOT EXISTS slipway_schema (version INTEGER NOT NULL)');
  const r = await client.query<{ version: number }>('SELECT version FROM slipway_schema');
  if (r.rows[0]) return Number(r.rows[0].version);
  await client.query('INSERT INTO slipway_schema (version) VALUES (0)');
  return 0;
}

/** Runs the migrations the database has not had yet, in order; returns the versions it ran. */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[]): Promise<number[]> {
  const client = await pool.connect();
  const ran: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    const current = await schemaVersionOf(client);
    if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
    for (let v = current + 1; v <= migrations.length; v++) {
      const m = migrations[v - 1]!;
      try {
        if (typeof m !== 'string') throw new Error('a migration written as a SQLite function has no PostgreSQL form: write it as SQL');
        await client.query('BEGIN');
        await client.query(postgresMigration(m));
        await client.query('UPDATE slipway_schema SET version = $1', [v]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(v, err as Error);
      }
      ran.push(v);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
    client.release();
  }
  return ran;
}

/** Opens the database at `url` and brings its schema up to date. Throws SchemaTooNewError or MigrationError. */
export async function openPostgres(url: string, migrations: readonly Migration[]): Promise<{ db: Kysely<Database>; close(): Promise<void> }> {
  const pool = new pg.Pool(postgresConfig(url));
  // An idle connection the server ended (a restart) is dropped from the pool, not thrown at the platform.
  pool.on('error', () => undefined);
  try {
    await migratePostgres(pool, migrations);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, close: () => db.destroy() };
}
