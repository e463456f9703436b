// The control-plane tables, as Kysely sees them, and the migrations that create them.
import type { Migration } from './migrate.ts';
// Releases are append-only: only their `status` is ever updated.
export interface AccountsTable {
  id: string;
  email: string;
  /** sha256 hex of the API key; the key itself is never stored. */
  api_key_hash: string;
  /** scrypt of the account's password (passwords.ts); null for an account that logs in with its key only. */
  password_hash: string | null;
  name: string | null;
  /** Set when the operator disabled the account: its keys and password stop working. */
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

/** An OAuth authorization: a token (`heroku login`, `authorizations:create`), stored as its sha256. */
export interface AuthorizationsTable {
  id: string;
  account_id: string;
  token_hash: string;
  description: string;
  /** When the token stops working; null: never. */
  expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TeamsTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface TeamMembersTable {
  team_id: string;
  account_id: string;
  role: 'admin' | 'member';
  created_at: string;
  updated_at: string;
}

/** An app's collaborators (the owner is not one of them: apps.owner_id). */
export interface CollaboratorsTable {
  id: string;
  app_id: string;
  account_id: string;
  created_at: string;
  updated_at: string;
}

export interface AppsTable {
  id: string;
  name: string;
  owner_id: string;
  /** The team that owns the app; null for a personal app (owned by owner_id). */
  team_id: string | null;
  stack: string;
  maintenance: number;
  buildpack_provided_description: string | null;
  released_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface BuildpackInstallationsTable {
  app_id: string;
  ordinal: number;
  url: string;
}

export interface ConfigVarsTable {
  app_id: string;
  key: string;
  value: string;
}

export interface SlugsTable {
  id: string;
  app_id: string;
  /** sha256 hex of the slug tarball: its name in the blob store. */
  blob: string;
  size: number;
  process_types: string; // JSON {type: command}
  commit: string | null;
  commit_description: string | null;
  stack: string;
  buildpack_provided_description: string | null;
  created_at: string;
}

export interface BuildsTable {
  id: string;
  app_id: string;
  user_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  source_version: string | null;
  slug_id: string | null;
  release_id: string | null;
  stack: string;
  buildpacks: string | null; // JSON [{url, name}]
  /** Builds API: JSON {url, checksum, version_description} of the source tarball; null for git pushes. */
  source_blob: string | null;
  /** JSON [{name, start, end}]: where the deploy's time went (build/phases.ts); null before it ran. */
  phases: string | null;
  created_at: string;
  updated_at: string;
}

export interface ReleasesTable {
  id: string;
  app_id: string;
  version: number;
  slug_id: string | null;
  config: string; // JSON snapshot of the config vars
  description: string;
  status: 'pending' | 'succeeded' | 'failed';
  user_id: string;
  /**
   * A deploy's release: JSON {type: {quantity, size?}} of the app.json `formation` its build found, which
   * the app's formation starts from when this release is its first to go live; null otherwise.
   */
  formation: string | null;
  created_at: string;
  updated_at: string;
}

export interface FormationTable {
  id: string;
  app_id: string;
  type: string;
  quantity: number;
  size: string;
  created_at: string;
  updated_at: string;
}

export interface AppFeaturesTable {
  app_id: string;
  name: string;
}

export interface DomainsTable {
  id: string;
  app_id: string;
  /** Lower-case; unique across apps (a domain belongs to one app at a time). */
  hostname: string;
  /** The DNS target users point a CNAME at. */
  cname: string;
  sni_endpoint_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface SniEndpointsTable {
  id: string;
  app_id: string;
  /** Heroku-style name (`tokyo-12345`), unique. */
  name: string;
  certificate_chain: string;
  private_key: string;
  created_at: string;
  updated_at: string;
}

export interface RouterMetricsTable {
  app_id: string;
  /** Start of the minute, ISO 8601. */
  minute: string;
  /** JSON MinuteMetrics. */
  data: string;
}

export interface AddonsTable {
  id: string;
  /** Globally unique, e.g. postgresql-curved-12345. */
  name: string;
  /** The owning (billing) app. */
  app_id: string;
  service: string;
  plan: string;
  /** provisioning → provisioned → deprovisioning; rows in passing states are finished at start. */
  state: 'provisioning' | 'provisioned' | 'deprovisioning';
  /** JSON: what the add-on exposes per attachment ({"URL": "postgres://..."}). */
  config: string;
  /** JSON: the provider's own record (database, role, port, password...). */
  resource: string;
  created_at: string;
  updated_at: string;
}

export interface AddonAttachmentsTable {
  id: string;
  addon_id: string;
  app_id: string;
  /** Config var prefix: DATABASE → DATABASE_URL. */
  name: string;
  namespace: string | null;
  created_at: string;
  updated_at: string;
}

export interface AddonBackupsTable {
  id: string;
  app_id: string;
  /** The add-on it was taken from (kept after that add-on is destroyed, as Heroku keeps backups). */
  addon_id: string;
  addon_name: string;
  /** `b` capture, `r` restore; with num it forms the name (b001). */
  kind: string;
  num: number;
  status: 'running' | 'succeeded' | 'failed';
  /** sha256 of the dump in the blob store. */
  blob: string | null;
  size: number | null;
  error: string | null;
  /** For restores: the backup restored. */
  source: string | null;
  created_at: string;
  finished_at: string | null;
}

/** A log drain: where logplex forwards every line of the app (syslog or HTTPS). */
export interface LogDrainsTable {
  id: string;
  app_id: string;
  url: string;
  /** `d.<uuid>`: names the drain to its receiver (syslog HOSTNAME, `Logplex-Drain-Token`). */
  token: string;
  created_at: string;
  updated_at: string;
}

/** The secret of a build's or release phase's output stream URL, and when that output ended. */
export interface OutputStreamsTable {
  id: string;
  secret: string;
  ended_at: string | null;
}

/** SSH public keys of accounts (`/account/keys`): git over SSH authenticates by them. */
export interface SshKeysTable {
  id: string;
  account_id: string;
  /** `<type> <base64 blob>`, without the comment: what a client's key is matched against. */
  public_key: string;
  comment: string;
  /** Heroku's form: the MD5 of the key blob, colon-separated hex. */
  fingerprint: string;
  created_at: string;
  updated_at: string;
}

/** The platform's own records: who the operator is, which one-time data migrations have run. */
export interface PlatformStateTable {
  name: string;
  value: string;
  updated_at: string;
}

/** A dashboard sign-in: the cookie's random id is stored only as its sha256; expires at `expires_at`. */
export interface DashboardSessionsTable {
  id_hash: string;
  account_id: string;
  /** Sent back by the dashboard's scripts as `X-CSRF-Token` on every API request. */
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** One minute of a process type's runtime samples (JSON `DynoMinute`), kept 24 hours. */
export interface DynoMetricsTable {
  app_id: string;
  minute: string;
  type: string;
  data: string;
}

export interface AppSetupsTable {
  id: string;
  app_id: string;
  app_name: string;
  user_id: string;
  status: string;
  failure_message: string | null;
  manifest_errors: string;
  build_id: string | null;
  source_url: string;
  postdeploy_output: string | null;
  postdeploy_exit_code: number | null;
  resolved_success_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface PipelinesTable {
  id: string;
  name: string;
  owner_id: string;
  /** Review apps' settings (JSON) when enabled, else null. */
  review_apps: string | null;
  created_at: string;
  updated_at: string;
}

export interface PipelineCouplingsTable {
  id: string;
  pipeline_id: string;
  app_id: string;
  stage: string;
  created_at: string;
  updated_at: string;
}

export interface PipelinePromotionsTable {
  id: string;
  pipeline_id: string;
  source_app_id: string;
  source_release_id: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface PipelinePromotionTargetsTable {
  id: string;
  promotion_id: string;
  app_id: string;
  release_id: string | null;
  status: string;
  error_message: string | null;
}

export interface ReviewAppsTable {
  id: string;
  pipeline_id: string;
  app_id: string;
  branch: string;
  status: string;
  last_push_at: string;
  /** app.json's scripts.pr-predestroy (JSON: command, size), run before the review app is destroyed. */
  predestroy: string | null;
  created_at: string;
  updated_at: string;
}

export interface AppWebhooksTable {
  id: string;
  app_id: string;
  include: string;
  level: string;
  url: string;
  secret: string | null;
  authorization: string | null;
  created_at: string;
  updated_at: string;
}

export interface AppWebhookEventsTable {
  id: string;
  app_id: string;
  include: string;
  payload: string;
  created_at: string;
  updated_at: string;
}

export interface AppWebhookDeliveriesTable {
  id: string;
  app_id: string;
  event_id: string;
  webhook_id: string;
  status: string;
  num_attempts: number;
  next_attempt_at: string | null;
  /** The attempts, newest last (JSON: code, error, created_at, updated_at). */
  attempts: string;
  created_at: string;
  updated_at: string;
}

export interface SchedulerJobsTable {
  id: string;
  app_id: string;
  command: string;
  /** `10m`, `1h`, `1d`, or null for a cron job. */
  every: string | null;
  at: string | null;
  /** The cron expression the job runs on (Heroku's frequencies are written as cron too). */
  cron: string;
  dyno_size: string | null;
  /** When it runs next (real time, ISO 8601). */
  next_run_at: string;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  dyno_metrics: DynoMetricsTable;
  dashboard_sessions: DashboardSessionsTable;
  scheduler_jobs: SchedulerJobsTable;
  app_setups: AppSetupsTable;
  pipelines: PipelinesTable;
  pipeline_couplings: PipelineCouplingsTable;
  pipeline_promotions: PipelinePromotionsTable;
  pipeline_promotion_targets: PipelinePromotionTargetsTable;
  review_apps: ReviewAppsTable;
  app_webhooks: AppWebhooksTable;
  app_webhook_events: AppWebhookEventsTable;
  app_webhook_deliveries: AppWebhookDeliveriesTable;
  ssh_keys: SshKeysTable;
  output_streams: OutputStreamsTable;
  platform_state: PlatformStateTable;
  addons: AddonsTable;
  addon_attachments: AddonAttachmentsTable;
  addon_backups: AddonBackupsTable;
  router_metrics: RouterMetricsTable;
  domains: DomainsTable;
  sni_endpoints: SniEndpointsTable;
  app_features: AppFeaturesTable;
  log_drains: LogDrainsTable;
  accounts: AccountsTable;
  authorizations: AuthorizationsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  collaborators: CollaboratorsTable;
  apps: AppsTable;
  buildpack_installations: BuildpackInstallationsTable;
  config_vars: ConfigVarsTable;
  slugs: SlugsTable;
  builds: BuildsTable;
  releases: ReleasesTable;
  formation: FormationTable;
}

/**
 * The numbered migrations: entry N (1-based) takes the schema from version N-1 to N, once, in its own
 * transaction (store/migrate.ts): SQL, or a synchronous function for data changes SQL cannot express.
 * To change the schema, append an entry at the END and update the
 * table interfaces above; never edit, reorder or remove an entry that has shipped (data dirs out there
 * are at its version).
 */
export const MIGRATIONS: Migration[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, api_key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE apps (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, owner_id TEXT NOT NULL REFERENCES accounts(id),
    stack TEXT NOT NULL, maintenance INTEGER NOT NULL DEFAULT 0, buildpack_provided_description TEXT,
    released_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE buildpack_installations (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, ordinal INTEGER NOT NULL, url TEXT NOT NULL,
    PRIMARY KEY (app_id, ordinal));
  CREATE TABLE config_vars (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (app_id, key));
  CREATE TABLE slugs (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, blob TEXT NOT NULL,
    size INTEGER NOT NULL, process_types TEXT NOT NULL, "commit" TEXT, commit_description TEXT,
    stack TEXT NOT NULL, buildpack_provided_description TEXT, created_at TEXT NOT NULL);
  CREATE TABLE builds (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, user_id TEXT NOT NULL,
    status TEXT NOT NULL, source_version TEXT, slug_id TEXT, release_id TEXT, stack TEXT NOT NULL,
    buildpacks TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE releases (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, version INTEGER NOT NULL,
    slug_id TEXT, config TEXT NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, user_id TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_id, version));
  CREATE TABLE formation (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, type TEXT NOT NULL,
    quantity INTEGER NOT NULL, size TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (app_id, type));
  `,
  `
  CREATE TABLE app_features (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, name TEXT NOT NULL, PRIMARY KEY (app_id, name));
  `,
  `
  CREATE TABLE sni_endpoints (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, name TEXT NOT NULL UNIQUE,
    certificate_chain TEXT NOT NULL, private_key TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE domains (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, hostname TEXT NOT NULL UNIQUE,
    cname TEXT NOT NULL, sni_endpoint_id TEXT REFERENCES sni_endpoints(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE router_metrics (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, minute TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app_id, minute));
  `,
  `
  CREATE TABLE addons (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, app_id TEXT NOT NULL REFERENCES apps(id), service TEXT NOT NULL,
    plan TEXT NOT NULL, state TEXT NOT NULL, config TEXT NOT NULL, resource TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE addon_attachments (
    id TEXT PRIMARY KEY, addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, name TEXT NOT NULL, namespace TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_id, name));
  CREATE TABLE addon_backups (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, addon_id TEXT NOT NULL,
    addon_name TEXT NOT NULL, kind TEXT NOT NULL, num INTEGER NOT NULL, status TEXT NOT NULL, blob TEXT, size INTEGER,
    error TEXT, source TEXT, created_at TEXT NOT NULL, finished_at TEXT, UNIQUE (app_id, kind, num));
  `,
  `
  ALTER TABLE builds ADD COLUMN source_blob TEXT;
  CREATE INDEX releases_status ON releases (status);
  `,
  `
  CREATE TABLE log_drains (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, url TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_id, url));
  `,
  `
  ALTER TABLE releases ADD COLUMN formation TEXT;
  `,
  `
  CREATE TABLE output_streams (id TEXT PRIMARY KEY, secret TEXT NOT NULL, ended_at TEXT);
  `,
  `
  CREATE TABLE platform_state (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
  `,
  `
  ALTER TABLE builds ADD COLUMN phases TEXT;
  `,
  `
  CREATE TABLE dashboard_sessions (
    id_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
  CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);
  `,
  `
  CREATE TABLE dyno_metrics (
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, minute TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (app_id, minute, type));
  `,
  `
  ALTER TABLE accounts ADD COLUMN password_hash TEXT;
  ALTER TABLE accounts ADD COLUMN name TEXT;
  ALTER TABLE accounts ADD COLUMN disabled_at TEXT;
  CREATE TABLE authorizations (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE, description TEXT NOT NULL, expires_at TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX authorizations_account ON authorizations (account_id);
  CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (team_id, account_id));
  CREATE TABLE collaborators (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (app_id, account_id));
  ALTER TABLE apps ADD COLUMN team_id TEXT REFERENCES teams(id);
  `,
  `
  CREATE TABLE app_setups (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL, app_name TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
    failure_message TEXT, manifest_errors TEXT NOT NULL, build_id TEXT, source_url TEXT NOT NULL, postdeploy_output TEXT,
    postdeploy_exit_code INTEGER, resolved_success_url TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE pipelines (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, review_apps TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE pipeline_couplings (
    id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL UNIQUE REFERENCES apps(id) ON DELETE CASCADE, stage TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE pipeline_promotions (
    id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE, source_app_id TEXT NOT NULL,
    source_release_id TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE pipeline_promotion_targets (
    id TEXT PRIMARY KEY, promotion_id TEXT NOT NULL REFERENCES pipeline_promotions(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL, release_id TEXT, status TEXT NOT NULL, error_message TEXT);
  CREATE TABLE review_apps (
    id TEXT PRIMARY KEY, pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, branch TEXT NOT NULL, status TEXT NOT NULL,
    last_push_at TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (pipeline_id, branch));
  CREATE TABLE app_webhooks (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, include TEXT NOT NULL,
    level TEXT NOT NULL, url TEXT NOT NULL, secret TEXT, authorization TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE app_webhook_events (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, include TEXT NOT NULL,
    payload TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE TABLE app_webhook_deliveries (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES app_webhook_events(id) ON DELETE CASCADE,
    webhook_id TEXT NOT NULL REFERENCES app_webhooks(id) ON DELETE CASCADE, status TEXT NOT NULL,
    num_attempts INTEGER NOT NULL, next_attempt_at TEXT, attempts TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX app_webhook_deliveries_due ON app_webhook_deliveries (status, next_attempt_at);
  `,
  `
  CREATE TABLE scheduler_jobs (
    id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, command TEXT NOT NULL, every TEXT,
    at TEXT, cron TEXT NOT NULL, dyno_size TEXT, next_run_at TEXT NOT NULL, last_run_at TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  `,
  `
  ALTER TABLE review_apps ADD COLUMN predestroy TEXT;
  `,
  `
  CREATE TABLE ssh_keys (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    public_key TEXT NOT NULL UNIQUE, comment TEXT NOT NULL, fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX ssh_keys_account ON ssh_keys (account_id);
  `,
];
