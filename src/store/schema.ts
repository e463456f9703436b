// The control-plane tables, as Kysely sees them, and the migrations that create them.
import type { Migration } from './migrate.ts';
// Releases are append-only: only their `status` is ever updated.
export interface AccountsTable {
  id: string;
  email: string;
  /** sha256 hex of the API key; the key itself is never stored. */
  api_key_hash: string;
  created_at: string;
  updated_at: string;
}

export interface AppsTable {
  id: string;
  name: string;
  owner_id: string;
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

export interface Database {
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
  CREATE TABLE ssh_keys (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    public_key TEXT NOT NULL UNIQUE, comment TEXT NOT NULL, fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX ssh_keys_account ON ssh_keys (account_id);
  `,
];
