// The numbered migrations that make the control-plane tables (their Kysely types: schema.ts).
import type { Migration } from './migrate.ts';

/**
 * The numbered migrations: entry N (1-based) takes the schema from version N-1 to N, once, in its own
 * transaction (store/migrate.ts): SQL, or a synchronous function for data changes SQL cannot express.
 * To change the schema, append an entry at the END and update the
 * table interfaces in schema.ts; never edit, reorder or remove an entry that has shipped (data dirs out there
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
  `
  CREATE TABLE throttles (kind TEXT NOT NULL, key TEXT NOT NULL, amount REAL NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (kind, key));
  ALTER TABLE teams ADD COLUMN created_by TEXT;
  `,
  `
  ALTER TABLE slugs ADD COLUMN layers TEXT;
  ALTER TABLE slugs ADD COLUMN checksum TEXT;
  `,
];
