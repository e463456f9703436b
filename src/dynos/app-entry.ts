// What the dyno manager keeps in memory per app, shared by its parts (the loop, the route table,
// idling and cycling, one-off dynos). Rebuilt from the store at every start.
import type { Dyno } from './dyno.ts';

export interface AppEntry {
  id: string;
  name: string;
  /** The listed dynos by name (formation dynos and one-offs). */
  dynos: Map<string, Dyno>;
  /** Consecutive crashes per dyno name, reset by a successful boot, a release or a restart. */
  crashes: Map<string, number>;
  /** Crashed dynos' restarts waiting out the back-off. */
  restartTimers: Map<string, NodeJS.Timeout>;
  /** Web dynos the formation asks for on the current release (0 → the router answers H14). */
  webQuantity: number;
  /** Size of the web process type (idling applies to eco only). */
  webSize: string;
  /** When the router last routed a request to this app (idling). */
  lastRequestAt: number;
  features: Set<string>;
  /** Maintenance mode: the router answers H80 and sends nothing to the dynos. */
  maintenance: boolean;
  /** The app's own error and maintenance pages, from the current release's config vars. */
  pages: { errorPageUrl?: string; maintenancePageUrl?: string };
  /** A reconcile pass is running; `again`: another was asked for meanwhile. */
  running: boolean;
  again: boolean;
}

export function newAppEntry(id: string, name: string): AppEntry {
  return {
    id, name, dynos: new Map(), crashes: new Map(), restartTimers: new Map(), webQuantity: 0, webSize: 'standard-1x',
    lastRequestAt: Date.now(), features: new Set(), maintenance: false, pages: {}, running: false, again: false,
  };
}

/** The app's formation web dynos (what the router serves and idling watches). */
export function webDynos(app: AppEntry): Dyno[] {
  return [...app.dynos.values()].filter((d) => d.spec.type === 'web' && !d.spec.oneOff);
}
