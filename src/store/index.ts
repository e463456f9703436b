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
