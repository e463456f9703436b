// Opens the platform's database (SQLite under the data dir by default, PostgreSQL when given a URL:
// postgres.ts) and brings its schema up to date through the numbered migrations of migrations.ts (see
// migrate.ts); a schema newer than this code is refused.
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, sql } from 'kysely';
import { migrate } from './migrate.ts';
import { openPostgres } from './postgres.ts';
import { MIGRATIONS, type Database } from './schema.ts';

export type { Database } from './schema.ts';
export { MigrationError, SchemaTooNewError } from './migrate.ts';
export type Db = Kysely<Database>;

export interface OpenedStore {
  db: Db;
  close(): Promise<void>;
}

/** `file` is a path, or `:memory:` for tests of pure queries. Throws SchemaTooNewError or MigrationError. */
export function openStore(file: string): OpenedStore {
  const sqlite = new Sqlite(file);
  try {
    // WAL lets the API read while a release is being written; foreign keys make app deletion cascade.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    migrate(sqlite, MIGRATIONS);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, close: () => db.destroy() };
}

/**
 * The platform's database: PostgreSQL at `url` when one is given (several platform processes share it),
 * else SQLite in `file`.
 */
export async function openDatabase(o: { file: string; url?: string }): Promise<OpenedStore> {
  return o.url ? openPostgres(o.url, MIGRATIONS) : openStore(o.file);
}

/** SQLite (one machine) rather than PostgreSQL: for the few statements only one of them has (VACUUM). */
export const isSqlite = (db: Db): boolean => db.getExecutor().adapter instanceof SqliteAdapter;

export const now = (): string => new Date().toISOString();

/**
 * Copies the database at `file` into `dest` while the platform may be writing it: SQLite's online backup
 * (a consistent snapshot; writers are not stopped). Resolves with the copy's schema version.
 */
export async function backupDatabase(file: string, dest: string): Promise<number> {
  const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    sqlite.pragma('busy_timeout = 5000');
    await sqlite.backup(dest);
  } finally {
    sqlite.close();
  }
  return databaseSchema(dest);
}

/** The schema version of a database file (without migrating it), and the version this code knows. */
export function databaseSchema(file: string): number {
  const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const ok = sqlite.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw new Error(`the database is damaged: ${String(ok)}`);
    return sqlite.pragma('user_version', { simple: true }) as number;
  } finally {
    sqlite.close();
  }
}

export const KNOWN_SCHEMA = MIGRATIONS.length;

/** A write refused by a UNIQUE constraint, in either dialect (SQLite's message, PostgreSQL's SQLSTATE 23505). */
export const isUniqueViolation = (err: unknown): boolean =>
  /UNIQUE constraint failed/.test(String(err)) || (err as { code?: unknown } | null)?.code === '23505';

/** A write refused by a FOREIGN KEY constraint (the row it names is gone), in either dialect (SQLSTATE 23503). */
export const isForeignKeyViolation = (err: unknown): boolean =>
  /FOREIGN KEY constraint failed/.test(String(err)) || (err as { code?: unknown } | null)?.code === '23503';

/**
 * Takes `key`'s write turn (an app's, account's or team's id) for the rest of the transaction `trx`, so
 * read-then-write transactions on one of them (the next release number and its config, an app counted
 * against a limit) queue up. SQLite's transactions already
 * run one at a time; on PostgreSQL, where several platform processes write at once, a transaction-scoped
 * advisory lock does it.
 */
export async function takeTurn(trx: Db, key: string): Promise<void> {
  if (!isSqlite(trx)) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
}
