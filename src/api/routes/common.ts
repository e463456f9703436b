// Lookups shared by the route files: an app by id or name, users by id.
import type { AppsTable } from '../../store/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';

export async function findApp(d: ApiDeps, idOrName: string): Promise<AppsTable> {
  const a = await d.db.selectFrom('apps').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
  if (!a) throw notFound('app', "Couldn't find that app.");
  return a;
}

export async function users(d: ApiDeps, ids: string[]): Promise<Map<string, { id: string; email: string }>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await d.db.selectFrom('accounts').select(['id', 'email']).where('id', 'in', unique).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export const unknownUser = (id: string) => ({ id, email: 'unknown' });
