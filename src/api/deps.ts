// What the API is handed by the composition root: the components it serves, and the public addresses.
import type { Addons } from '../addons/index.ts';
import type { Builder } from '../build/index.ts';
import type { Deployer } from '../deploy/index.ts';
import type { DynoManager } from '../dynos/manager.ts';
import type { CertTable } from '../router/certs.ts';
import type { RouterMetrics } from '../router/metrics.ts';
import type { Repos } from '../git/repos.ts';
import type { ConfigCipher, Releases } from '../releases/index.ts';
import type { Housekeeping } from '../releases/housekeeping.ts';
import type { OutputStore } from '../releases/output.ts';
import type { BlobStore } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import type { Drains } from '../logs/drains/index.ts';
import type { LogSink } from '../logs/types.ts';

export interface LogSessionsApi {
  /** Creates a one-shot log session; returns its id (served at GET /sessions/<id>). */
  create(appId: string, o: { lines?: number; tail?: boolean; dyno?: string; source?: 'app' | 'heroku' }): { id: string };
  /** Drops an app's buffered lines (app destroyed). */
  forget(appId: string): void;
}

/** Where attached one-offs meet their clients (the `run` rendezvous). */
export interface RendezvousApi {
  /** `rendezvous://host:port`, the base of every attach_url. */
  readonly url: string;
  /** The CA that signed the rendezvous certificate (clients verify the connection with it). */
  readonly caPem: string;
  /** Waits for a client presenting the returned secret; `onTimeout` when none comes in time. */
  expect(onAttach: (stream: import('node:stream').Duplex) => void, onTimeout: () => void): string;
}

export interface ApiDeps {
  rendezvous: RendezvousApi;
  db: Db;
  addons: Addons;
  releases: Releases;
  dynos: DynoManager;
  /** Certificates the router serves by SNI (custom domains' SNI endpoints). */
  certs: CertTable;
  /** Requests per app and minute, as the router saw them. */
  routerMetrics: RouterMetrics;
  builder: Builder;
  /** The deploy path (the Builds API), and the per-app turn builds and cache purges take with pushes. */
  deployer: Deployer;
  repos: Repos;
  blobs: BlobStore;
  /** Signs slug blob URLs (capability URLs, as Heroku's presigned ones). */
  cipher: ConfigCipher;
  releaseOutputs: OutputStore;
  buildOutputs: OutputStore;
  housekeeping: Housekeeping;
  logs: LogSink;
  logSessions: LogSessionsApi;
  drains: Pick<Drains, 'list' | 'find' | 'add' | 'remove' | 'forget'>;
  /** Base URL users reach the API and git at, e.g. http://localhost:5000. */
  publicUrl: string;
  /** Apps are served at http://<app>.<domain>:<routerPort>/. */
  domain: string;
  routerPort: number;
  stack: string;
}

export function webUrl(d: Pick<ApiDeps, 'domain' | 'routerPort'>, name: string): string {
  return `http://${name}.${d.domain}${d.routerPort === 80 ? '' : `:${d.routerPort}`}/`;
}
