// What the API is handed by the composition root: the components it serves, and the public addresses.
// Each route file takes only the part it uses (`Pick<ApiDeps, ...>`), so its tests pass narrow fakes.
import type { Accounts } from '../accounts/index.ts';
import type { Authorizations } from '../accounts/authorizations.ts';
import type { LoginThrottle, RateLimiter } from '../accounts/throttle.ts';
import type { AppAccess } from '../apps/access.ts';
import type { Collaborators } from '../apps/collaborators.ts';
import type { Teams } from '../apps/teams.ts';
import type { SshKeys } from '../accounts/keys.ts';
import type { Addons } from '../addons/index.ts';
import type { Apps, Domains, Features, SniEndpoints } from '../apps/index.ts';
import type { BuildpackInstallations } from '../build/installations.ts';
import type { BuildRecords, SlugRecords } from '../build/records.ts';
import type { Builder } from '../build/index.ts';
import type { Deployer } from '../deploy/index.ts';
import type { DynoManager } from '../dynos/manager.ts';
import type { DynoMetricsHistory } from '../dynos/metrics-history.ts';
import type { RouterMetrics } from '../router/metrics.ts';
import type { Repos } from '../git/repos.ts';
import type { RouterMetricsStore } from '../router/metrics-store.ts';
import type { ConfigCipher, Releases } from '../releases/index.ts';
import type { Housekeeping } from '../releases/housekeeping.ts';
import type { OutputStore } from '../releases/output.ts';
import type { BlobStore } from '../slugs/index.ts';
import type { Drains } from '../logs/drains/index.ts';
import type { LogSink } from '../logs/types.ts';
import type { AppSetups } from '../appsetups/index.ts';
import type { Pipelines } from '../pipelines/index.ts';
import type { Webhooks } from '../webhooks/index.ts';
import type { Scheduler } from '../scheduler/index.ts';

export interface LogSessionsApi {
  /** Creates a one-shot log session; returns its id (served at GET /sessions/<id>). */
  create(appId: string, o: { lines?: number; tail?: boolean; dyno?: string; source?: 'app' | 'heroku' }): { id: string };
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
  accounts: Pick<Accounts, 'users' | 'authenticate' | 'login' | 'create' | 'list' | 'find' | 'setDisabled' | 'update' | 'isOperator'>;
  authorizations: Authorizations;
  /** Who may reach which app (apps/access.ts: the one decision every door asks). */
  access: AppAccess;
  teams: Teams;
  collaborators: Collaborators;
  loginThrottle: LoginThrottle;
  /** Each account's API calls (absent: no limit, SLIPWAY_API_RATE_LIMIT=0). */
  rateLimiter?: RateLimiter;
  sshKeys: Pick<SshKeys, 'list' | 'find' | 'add' | 'remove'>;
  apps: Apps;
  domains: Domains;
  /** Custom domains' certificates (SNI endpoints), served by the router. */
  sniEndpoints: SniEndpoints;
  features: Features;
  buildpacks: BuildpackInstallations;
  builds: BuildRecords;
  slugs: SlugRecords;
  addons: Addons;
  releases: Releases;
  dynos: DynoManager;
  /** Requests per app and minute, as the router saw them: the minute in progress, and the stored ones. */
  routerMetrics: Pick<RouterMetrics, 'currentMinute'>;
  routerMetricsStore: Pick<RouterMetricsStore, 'since'>;
  /** Dynos' memory and load per process type and minute, the last 24 hours. */
  dynoMetrics: Pick<DynoMetricsHistory, 'since'>;
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
  drains: Pick<Drains, 'list' | 'find' | 'add' | 'remove'>;
  appSetups: Pick<AppSetups, 'create' | 'find'>;
  scheduler: Pick<Scheduler, 'list' | 'find' | 'add' | 'update' | 'remove'>;
  pipelines: Pipelines;
  webhooks: Pick<Webhooks, 'list' | 'find' | 'add' | 'update' | 'remove' | 'events' | 'event' | 'deliveries' | 'delivery'>;
  /** The port git over SSH listens on, once it does (undefined: SSH is off). */
  gitSshPort?: () => number | undefined;
  /** Base URL users reach the API and git at, e.g. http://localhost:5000. */
  publicUrl: string;
  /** What is wrong while the data disk is past its high-water mark (slug uploads are refused), else undefined. */
  diskFull?: () => Promise<string | undefined>;
  /** Apps are served at http://<app>.<domain>:<routerPort>/. */
  domain: string;
  routerPort: number;
  stack: string;
}

export function webUrl(d: Pick<ApiDeps, 'domain' | 'routerPort'>, name: string): string {
  return `http://${name}.${d.domain}${d.routerPort === 80 ? '' : `:${d.routerPort}`}/`;
}
