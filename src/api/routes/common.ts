// Lookups shared by the route files.
import type { AppRow } from '../../apps/index.ts';
import type { ApiDeps } from '../deps.ts';

/** An app by id or name (a 404 when there is none). */
export function findApp(d: Pick<ApiDeps, 'apps'>, idOrName: string): Promise<AppRow> {
  return d.apps.find(idOrName);
}
