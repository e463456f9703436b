// Plan limits of a Postgres add-on: measuring its database against the plan (storage, and tables on
// essential plans), and Heroku's enforcement when it is over: access is restricted to reading,
// DELETE and TRUNCATE until it is back under the limits (or moves to a bigger plan). The app's role
// owns its objects, and an owner may do anything, so restriction hands the objects to a NOLOGIN role
// of the database (`o…`) and grants the app's role SELECT, DELETE and TRUNCATE on them; lifting it
// hands them back. Connections are reset so sessions pick up the change.
import type { Plan } from '../types.ts';
import type { Cluster } from './cluster.ts';

export interface Usage {
  size: number;
  tables: number;
  connections: number;
  version: string;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const ownerRole = (user: string) => `o${user.slice(1)}`;

export async function usage(c: Cluster, database: string): Promise<Usage> {
  const [connections, version, size] = (await c.sql(
    `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = ${literal(database)}), current_setting('server_version'), pg_database_size(${literal(database)});`,
  )).split('|');
  const tables = await c.sql("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema');", database);
  return { size: Number(size), tables: Number(tables), connections: Number(connections), version: version!.split(' ')[0]! };
}

/** What is over the plan, as `pg:info` words it; empty when in compliance. */
export function overLimits(u: Usage, plan: Plan): { storage: boolean; tables: boolean } {
  return { storage: u.size > plan.limits.storage!, tables: !!plan.limits.tables && u.tables > plan.limits.tables };
}

export async function restrict(c: Cluster, s: { user: string; database: string }): Promise<void> {
  const o = ownerRole(s.user);
  await c.sql(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(o)}) THEN CREATE ROLE ${ident(o)} NOLOGIN; END IF; END $$;`);
  const schemas = (await c.sql(`SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema';`, s.database))
    .split('\n').filter(Boolean);
  await c.sql([
    `REASSIGN OWNED BY ${ident(s.user)} TO ${ident(o)};`,
    // The change of owner carries the old owner's own privileges to the new one: CONNECT is given back.
    `REVOKE ALL ON DATABASE ${ident(s.database)} FROM ${ident(s.user)};`,
    `GRANT CONNECT ON DATABASE ${ident(s.database)} TO ${ident(s.user)};`,
    ...schemas.flatMap((n) => [
      `GRANT USAGE ON SCHEMA ${ident(n)} TO ${ident(s.user)};`,
      `GRANT SELECT, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${ident(n)} TO ${ident(s.user)};`,
      `GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${ident(n)} TO ${ident(s.user)};`,
    ]),
    `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ${literal(s.user)};`,
  ].join('\n'), s.database);
}

export async function lift(c: Cluster, s: { user: string; database: string }): Promise<void> {
  const o = ownerRole(s.user);
  await c.sql([
    `REASSIGN OWNED BY ${ident(o)} TO ${ident(s.user)};`,
    `GRANT ALL ON DATABASE ${ident(s.database)} TO ${ident(s.user)};`,
    `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ${literal(s.user)};`,
  ].join('\n'), s.database);
}
