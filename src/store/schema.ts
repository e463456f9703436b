// The control-plane tables, as Kysely sees them; the migrations that create them are in migrations.ts.
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
  /** The account that made the team (counted against its limit); null for teams from before the column. */
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** Login failures (`login`: amount failures, at the last) and API rate buckets (`rate`: amount tokens left, at when). */
export interface ThrottlesTable { kind: 'login' | 'rate'; key: string; amount: number; at: number }

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
  /** sha256 hex of the slug tarball (the app part when it has layers): its name in the blob store. */
  blob: string;
  /** The whole slug's compressed size (layers included). */
  size: number;
  /** JSON `[{path, blob, size}]`: the layers stored apart (slugs/layers.ts), null for a slug without. */
  layers: string | null;
  /** sha256 hex of the whole tarball when it is not `blob`'s (a slug with layers), else null. */
  checksum: string | null;
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
  throttles: ThrottlesTable;
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

export { MIGRATIONS } from './migrations.ts';
