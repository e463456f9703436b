// Opens the platform's database (SQLite under the data dir by default) and brings its schema up to date
// through the numbered migrations of schema.ts (see migrate.ts); a schema newer than this code is refused.
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrate } from './migrate.ts';
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
