// The router's read-only view of the dynos: Host → app (its default `<app>.<domain>` name or a custom
// domain) → the up web dynos, maintenance and the app's pages; and a snapshot of every app for a data
// path that keeps its own copy (HAProxy), with change notifications. A lookup is a request: it keeps an
// eco app awake, or wakes it.
import { componentLogger, type Logger } from '../logger/index.ts';
import type { AppRoute, RouteSnapshotApp, RouteTable, RouteTarget } from './routes.ts';
import { webDynos, type AppEntry } from './app-entry.ts';
import type { Dyno } from './dyno.ts';

export interface RouteTableHost {
  app(id: string): AppEntry | undefined;
  apps(): Iterable<AppEntry>;
  /** While a preboot runs: the old web dynos that still serve. */
  serving(appId: string): Dyno[] | undefined;
  /** A request for an app whose web dyno sleeps. */
  unidle(app: AppEntry, dyno: Dyno): void;
  /** Under a cluster runtime: the app's up web dynos as the engine reports them. */
  clusterTargets?: (appId: string) => RouteTarget[];
}

export class DynoRouteTable implements RouteTable {
  private readonly byName = new Map<string, string>();
  /** Custom domains (`domains:add`): hostname → app id. */
  private readonly domains = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly host: RouteTableHost,
    private readonly domain: string,
    /** How a Host matches the custom domains (exact, then wildcard): the router's rule. */
    private readonly lookupHost: (domains: ReadonlyMap<string, string>, hostname: string) => string | undefined,
    private readonly logger: Pick<Logger, 'error'> = componentLogger(undefined, 'dynos'),
  ) {}

  /** An app appeared (or was renamed from `previousName`). */
  named(app: AppEntry, previousName?: string): void {
    if (previousName !== undefined) this.byName.delete(previousName);
    this.byName.set(app.name, app.id);
    this.changed();
  }

  /** An app is gone: its names and domains with it. */
  forget(app: AppEntry): void {
    this.byName.delete(app.name);
    for (const [h, id] of this.domains) if (id === app.id) this.domains.delete(h);
    this.changed();
  }

  /** The app's custom domains changed: the router answers them for it from now on. */
  setDomains(appId: string, hostnames: string[]): void {
    for (const [h, id] of this.domains) if (id === appId) this.domains.delete(h);
    for (const h of hostnames) this.domains.set(h.toLowerCase(), appId);
    this.changed();
  }

  /** Called (synchronously, coalesce yourself) whenever what the router sees may have changed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const l of this.listeners) {
      try { l(); } catch (err) { this.logger.error({ err }, 'change listener failed'); }
    }
  }

  /** Every app with its up web dynos, for a data path that keeps its own copy (HAProxy). Side-effect free. */
  routeSnapshot(): RouteSnapshotApp[] {
    const domains = new Map<string, string[]>();
    for (const [h, id] of this.domains) domains.set(id, [...(domains.get(id) ?? []), h]);
    return [...this.host.apps()].map((app) => ({
      id: app.id, name: app.name, maintenance: app.maintenance, domains: (domains.get(app.id) ?? []).sort(),
      up: this.upTargets(app), errorPageUrl: app.pages.errorPageUrl,
    }));
  }

  /** The data path saw a request for the app (keeps an eco app awake). */
  touched(appId: string): void {
    const app = this.host.app(appId);
    if (app) app.lastRequestAt = Date.now();
  }

  /** The router's view; every lookup is a request, which keeps an eco app awake or wakes it. */
  lookup(hostname: string): AppRoute | undefined {
    const suffix = `.${this.domain}`;
    const id = (hostname.endsWith(suffix) ? this.byName.get(hostname.slice(0, -suffix.length)) : undefined) ?? this.lookupHost(this.domains, hostname);
    const app = id ? this.host.app(id) : undefined;
    if (!app) return undefined;
    app.lastRequestAt = Date.now();
    const web = webDynos(app);
    for (const d of web) if (d.state === 'idle') this.host.unidle(app, d);
    const up = this.upTargets(app);
    return {
      appId: app.id, appName: app.name, up, maintenance: app.maintenance,
      webQuantity: app.webQuantity, ...app.pages,
      crashed: up.length === 0 && web.length > 0 && web.every((d) => d.state === 'crashed'),
    };
  }

  /** Where web requests go: the up web dynos, or while a preboot runs, the old ones still serving. */
  private upTargets(app: AppEntry): RouteTarget[] {
    if (this.host.clusterTargets) return this.host.clusterTargets(app.id);
    const serving = this.host.serving(app.id) ?? webDynos(app);
    return serving.filter((d) => d.state === 'up' && !d.leavingRoutes && d.spec.port && d.address).map((d) => ({ dyno: d.name, host: d.address!, port: d.spec.port! }));
  }
}
