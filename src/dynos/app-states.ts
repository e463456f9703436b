// What the dyno manager keeps of each app besides its dynos (name, maintenance, custom domains, features),
// read from the store: for every app at start, and for one app when another platform process changed it
// (several processes on one PostgreSQL database: the leader's manager hears of the change, store/leader.ts).
import type { Db } from '../store/index.ts';
import type { LeaderNotice } from '../store/leader.ts';

/** The dyno manager's face for these (its public methods). */
export interface Follower {
  track(id: string, name: string): void;
  renamed(id: string, name: string): void;
  setMaintenance(id: string, on: boolean): void;
  setDomains(id: string, hostnames: string[]): void;
  setFeatures(id: string, names: string[]): void;
  untrack(id: string): Promise<void>;
  wake(id: string): void;
  restart(id: string, target?: string): number;
}

export interface AppState {
  id: string;
  name: string;
  maintenance: boolean;
  domains: string[];
  features: string[];
}

/** Every app's state, or those of `ids` (an id with no app row is left out: the app is gone). */
export async function appStates(db: Db, ids?: string[]): Promise<AppState[]> {
  if (ids?.length === 0) return [];
  let apps = db.selectFrom('apps').select(['id', 'name', 'maintenance']);
  let domains = db.selectFrom('domains').select(['app_id', 'hostname']);
  let features = db.selectFrom('app_features').select(['app_id', 'name']);
  if (ids) {
    apps = apps.where('id', 'in', ids);
    domains = domains.where('app_id', 'in', ids);
    features = features.where('app_id', 'in', ids);
  }
  const [a, d, f] = await Promise.all([apps.execute(), domains.execute(), features.execute()]);
  return a.map((r) => ({
    id: r.id, name: r.name, maintenance: r.maintenance === 1,
    domains: d.filter((x) => x.app_id === r.id).map((x) => x.hostname),
    features: f.filter((x) => x.app_id === r.id).map((x) => x.name),
  }));
}

/** The manager takes the app's state as read. */
export function followApp(m: Follower, a: AppState): void {
  m.track(a.id, a.name);
  m.renamed(a.id, a.name);
  m.setMaintenance(a.id, a.maintenance);
  m.setDomains(a.id, a.domains);
  m.setFeatures(a.id, a.features);
}

/**
 * Another platform process changed the app (a notice to the leader, store/leader.ts): its state is read
 * again and the app reconciled, or its dynos restarted; a destroyed app's dynos stop.
 */
export async function resyncApp(m: Follower, db: Db, n: LeaderNotice): Promise<void> {
  const [a] = n.gone ? [] : await appStates(db, [n.app]);
  if (!a) return m.untrack(n.app);
  followApp(m, a);
  if (n.restart === undefined) m.wake(n.app);
  else m.restart(n.app, n.restart || undefined);
}
