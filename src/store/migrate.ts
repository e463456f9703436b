// Brings a database's schema up to date with numbered migrations. The schema version is SQLite's
// `user_version`: migration N (1-based, the Nth entry of the list) has run when it is N or more. Each
// migration runs in its own transaction together with the version bump, so a failing one leaves the
// database exactly at the version before it. A database at a version newer than the list is refused
// before anything is written: an older Slipway must not run on data a newer one shaped.
import type Sqlite from 'better-sqlite3';

/**
 * A migration: SQL statements, or for a data change SQL cannot express, a function given the database
 * (synchronous: it runs inside the transaction). Either way it is one transaction with the version.
 */
export type Migration = string | ((sqlite: Sqlite.Database) => void);

/** The data dir holds a schema this code does not know; the operator must upgrade Slipway. */
export class SchemaTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`this data dir was written by a newer Slipway (schema ${found}, this one knows ${known}); upgrade Slipway`);
  }
}

/** A migration failed; the database stays at the version before it. */
export class MigrationError extends Error {
  constructor(readonly version: number, cause: Error) {
    super(`the store's migration ${version} failed and was rolled back (the schema stays at ${version - 1}): ${cause.message}`, { cause });
  }
}

export function schemaVersion(sqlite: Sqlite.Database): number {
  return sqlite.pragma('user_version', { simple: true }) as number;
}

/** Runs the migrations the database has not had yet, in order; returns the versions it ran. */
export function migrate(sqlite: Sqlite.Database, migrations: readonly Migration[]): number[] {
  const current = schemaVersion(sqlite);
  if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
  const ran: number[] = [];
  for (let v = current + 1; v <= migrations.length; v++) {
    let done = false;
    try {
      // IMMEDIATE takes the write lock first; another process that ran it meanwhile is seen here.
      done = sqlite.transaction(() => {
        if (schemaVersion(sqlite) >= v) return false;
        const m = migrations[v - 1]!;
        if (typeof m === 'string') sqlite.exec(m);
        else m(sqlite);
        sqlite.pragma(`user_version = ${v}`);
        return true;
      }).immediate();
    } catch (err) {
      throw new MigrationError(v, err as Error);
    }
    if (done) ran.push(v);
  }
  return ran;
}
