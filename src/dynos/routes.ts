// What the router reads: a read-only view of apps and their web dynos, owned by the dyno manager. The
// one file of dynos/ the router imports (types only), so the router never depends on how dynos run.

export interface RouteTarget {
  /** Dyno name, `web.1`. */
  dyno: string;
  /** Host and port the dyno's web process listens on. */
  host: string;
  port: number;
}

export interface AppRoute {
  appId: string;
  appName: string;
  /** Web dynos that are `up` right now. */
  up: RouteTarget[];
  /** Quantity of web dynos in the formation (0 → H14). */
  webQuantity: number;
  /** Maintenance mode is on (→ H80). */
  maintenance?: boolean;
  /** True when the web dynos exist but none is up because they crashed (→ H10). */
  crashed: boolean;
  /** The app's own pages (config vars `ERROR_PAGE_URL`, `MAINTENANCE_PAGE_URL`), if it names them. */
  errorPageUrl?: string;
  maintenancePageUrl?: string;
}

export interface RouteTable {
  /** Look up by the request's Host header, already lower-cased and stripped of its port. */
  lookup(hostname: string): AppRoute | undefined;
}

/** One app as a data path that keeps its own copy of the routes (HAProxy) sees it. */
export interface RouteSnapshotApp {
  id: string;
  name: string;
  maintenance: boolean;
  domains: string[];
  up: RouteTarget[];
  errorPageUrl?: string;
}
