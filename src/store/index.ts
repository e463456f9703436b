// Opens the platform's database (SQLite under the data dir by default) and brings its schema up to date.
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { MIGRATIONS, type Database } from './schema.ts';

export type { Database } from './schema.ts';
export type Db = Kysely<Database>;

export interface OpenedStore {
  db: Db;
  close(): Promise<void>;
}

/** `file` is a path, or `:memory:` for tests of pure queries. */
export function openStore(file: string): OpenedStore {
  const sqlite = new Sqlite(file);
  // WAL lets the API read while a release is being written; foreign keys make app deletion cascade.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  migrate(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, close: () => db.destroy() };
}

function migrate(sqlite: Sqlite.Database): void {
  const current = sqlite.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    sqlite.transaction(() => {
      sqlite.exec(MIGRATIONS[v]!);
      sqlite.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export const now = (): string => new Date().toISOString();
