// The platform's settings: one typed object, every default in one place, each overridable by an
// environment variable (documented in the README).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOG_LEVELS, parseLevel, type LoggerOptions } from '../logger/index.ts';
import { parseHighWater } from '../health/index.ts';
import { parseSchedule } from '../backup/index.ts';
import { ALLOW_SETTING, parseAllowedTargets, type EgressPolicy } from '../egress/index.ts';
import { LOCAL_BUILDPACKS_SETTING, parseLocalBuildpackDirs } from '../build/buildpacks.ts';

export interface PlatformConfig {
  dataDir: string;
  /** PostgreSQL shared by every platform process (SLIPWAY_DATABASE_URL); unset: SQLite in the data dir. */
  databaseUrl?: string;
  /** Slugs, sources, add-on backups, build and release output and git repos (SLIPWAY_BLOB_DIR; see sharedDirs). */
  blobDir?: string;
  apiPort: number;
  routerPort: number;
  /** The router's TLS port (HTTPS, SNI, HTTP/2; with the HAProxy data path). 0 turns it off. */
  routerTlsPort: number;
  /** TLS port where attached one-off dynos (`run`) meet their clients; unset: the API port + 1, or any free one. */
  rendezvousPort?: number;
  /** git over SSH's port (`git@<host>:<app>.git`); unset: 2222, or any free one when that is taken; 0 turns it off. */
  sshPort?: number;
  /** Apps answer at <app>.<domain>. */
  domain: string;
  /** Base URL of the API and git as users reach them. */
  publicUrl: string;
  operatorEmail: string;
  operatorKey?: string;
  runtime: 'auto' | 'runc' | 'process' | 'swarm';
  /** SLIPWAY_RUNTIME=swarm only: the engine and the blob endpoint its tasks fetch slugs from (swarmSettings). */
  swarm?: SwarmSettings;
  stackDir?: string;
  runtimeCacheDir: string;
  buildTimeoutMs: number;
  /** What the machine-wide runtime cache's entries may hold; past it the least recently used go. */
  runtimeCacheQuotaBytes: number;
  /** Each app's build cache lives on a filesystem of this size: a build writing more fails with ENOSPC. */
  buildCacheQuotaBytes: number;
  /** Builds are refused while the data dir's disk has less free than this. */
  buildMinFreeDiskBytes: number;
  /** The most a push's request body may hold once decompressed (SLIPWAY_PUSH_MAX_BYTES). */
  pushMaxBytes: number;
  /** How many apps one account may own (SLIPWAY_APPS_PER_ACCOUNT). */
  appsPerAccount: number;
  /** How many teams one account may create (SLIPWAY_TEAMS_PER_ACCOUNT; the operator has no limit). */
  teamsPerAccount: number;
  /** API calls an account may make in a burst, refilled at a sixtieth of it a minute (SLIPWAY_API_RATE_LIMIT; 0: no limit). */
  apiRateLimit: number;
  /** How many `run` dynos one account may have at once (SLIPWAY_ONE_OFFS_PER_ACCOUNT). */
  oneOffsPerAccount: number;
  /** An app's own log lines per second and burst before lines are dropped (SLIPWAY_LOG_RATE, SLIPWAY_LOG_BURST; 0: no limit). */
  logLinesPerSecond: number;
  logLinesBurst: number;
  bootTimeoutMs: number;
  stopGraceMs: number;
  /** Length of one "minute" of the crash back-off (tests shorten it). */
  crashBackoffMinuteMs: number;
  /** How long an attached one-off waits for its client before R13. */
  attachTimeoutMs: number;
  /** Between the SIGHUP notices an attached one-off gets after its client hung up (R16 after three). */
  hangupIntervalMs: number;
  cycleMs: number;
  cycleJitterMs: number;
  idleAfterMs: number;
  metricsIntervalMs: number;
  /** How long the router holds a request while the app's web dynos are starting (H20 after). */
  routerBootHoldMs: number;
  routerRequestTimeoutMs: number;
  /** TCP connect to a dyno, per attempt (H19 when every attempt times out). */
  routerConnectTimeoutMs: number;
  /** Requests in flight per web dyno before H11. */
  routerBacklog: number;
  /** The 55 s window: a WebSocket or a request body silent this long ends (H15/H28). */
  routerIdleTimeoutMs: number;
  /** A client connection idle between requests, or slow to send a request head, is closed after this (60 s). */
  routerClientTimeoutMs: number;
  /** `haproxy` (HAProxy in front of the Node router), `node` (the Node router alone), `auto` (haproxy when installed). */
  routerEngine: 'auto' | 'haproxy' | 'node';
  /** HAProxy worker threads; 0 lets HAProxy take one per core. */
  routerThreads: number;
  /** IPv4 CIDR the add-on servers' network (/30 per platform) comes from. */
  addonsPool: string;
  /** How often Postgres add-ons are measured against their plans' storage and table limits. */
  addonsCheckIntervalMs: number;
  /** How long a release command may run (Heroku: 1 hour). */
  releaseTimeoutMs: number;
  /** Releases per app whose slugs are kept for rollback; older slugs no release references are removed. */
  releasesKept: number;
  /** Slugs younger than this are never removed (uploaded, not yet released). */
  slugGraceMs: number;
  /** How long a build's or release's output stream URL works after the output ended (SLIPWAY_STREAM_TTL, seconds). */
  streamTtlMs: number;
  /** Host directories local-path buildpacks may be named from (SLIPWAY_LOCAL_BUILDPACKS, colon-separated); none by default. */
  localBuildpackDirs: string[];
  /** Internal addresses tenants' traffic and the platform's connections for them may reach (egress/). */
  allowPrivateTargets: EgressPolicy;
  /** A sync webhook delivery's first retry after this long, each next one after twice the last (SLIPWAY_WEBHOOK_RETRY_BASE, 10 s). */
  webhookRetryBaseMs: number;
  /** Attempts of a sync webhook delivery before it fails (SLIPWAY_WEBHOOK_ATTEMPTS, 10). */
  webhookAttempts: number;
  /** Length of a Scheduler minute (SLIPWAY_SCHEDULER_MINUTE, seconds; 60): a test clock runs a 10m job every 10 of these. */
  schedulerMinuteMs: number;
  /** A review app without a push for this long is destroyed (SLIPWAY_REVIEW_APP_STALE_DAYS, 5; fractions allowed). */
  reviewAppStaleMs: number;
  /** How often review apps are checked for staleness (SLIPWAY_REVIEW_APP_SWEEP, seconds; default a quarter of the stale period, 1 s to 1 hour). */
  reviewAppSweepMs?: number;
  /** How long an app setup's postdeploy may run (SLIPWAY_POSTDEPLOY_TIMEOUT, 1 hour). */
  postdeployTimeoutMs: number;
  /** IPv4 CIDR dynos' and builds' /30s come from; and the prefix of the firewall chains for it. */
  dynoPool?: string;
  firewallPrefix?: string;
  /** Bearer token a Prometheus scraper gives for GET /metrics (SLIPWAY_METRICS_TOKEN); unset: loopback only. */
  metricsToken?: string;
  /** Share of the data disk used past which builds and slug uploads are refused (SLIPWAY_DISK_HIGH_WATER, 90%). */
  diskHighWater: number;
  /** Scheduled backups (SLIPWAY_BACKUP_SCHEDULE, SLIPWAY_BACKUP_DIR, SLIPWAY_BACKUP_KEEP, SLIPWAY_BACKUP_PASSPHRASE); unset: none. */
  backupSchedule?: { everyMs: number; dir: string; keep: number; passphrase: string };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlatformConfig {
  const num = (name: string, def: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${name} must be a non-negative number, got ${JSON.stringify(v)}.`);
    return n;
  };
  const apiPort = num('SLIPWAY_API_PORT', 5000);
  const domain = env.SLIPWAY_DOMAIN || 'localhost';
  const runtime = (env.SLIPWAY_RUNTIME || 'auto') as PlatformConfig['runtime'];
  if (!['auto', 'runc', 'process', 'swarm'].includes(runtime)) throw new ConfigError(`SLIPWAY_RUNTIME must be auto, runc, process or swarm, got ${JSON.stringify(runtime)}.`);
  const routerEngine = (env.SLIPWAY_ROUTER || 'auto') as PlatformConfig['routerEngine'];
  if (!['auto', 'haproxy', 'node'].includes(routerEngine)) throw new ConfigError(`SLIPWAY_ROUTER must be auto, haproxy or node, got ${JSON.stringify(routerEngine)}.`);
  const databaseUrl = env.SLIPWAY_DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('SLIPWAY_DATABASE_URL must be a postgres://user:password@host:port/database URL (unset: SQLite in the data dir).');
  return {
    dataDir: resolve(env.SLIPWAY_DATA_DIR || join(homedir(), '.slipway')),
    databaseUrl,
    blobDir: env.SLIPWAY_BLOB_DIR ? resolve(env.SLIPWAY_BLOB_DIR) : undefined,
    apiPort,
    routerPort: num('SLIPWAY_ROUTER_PORT', 8080),
    routerTlsPort: num('SLIPWAY_ROUTER_TLS_PORT', 8443),
    rendezvousPort: env.SLIPWAY_RENDEZVOUS_PORT ? num('SLIPWAY_RENDEZVOUS_PORT', 0) : undefined,
    sshPort: env.SLIPWAY_SSH_PORT ? num('SLIPWAY_SSH_PORT', 0) : undefined,
    domain,
    publicUrl: (env.SLIPWAY_PUBLIC_URL || `http://localhost:${apiPort}`).replace(/\/+$/, ''),
    operatorEmail: env.SLIPWAY_OPERATOR_EMAIL || 'operator@slipway.local',
    operatorKey: env.SLIPWAY_OPERATOR_KEY || undefined,
    runtime,
    swarm: runtime === 'swarm' ? swarmSettings(env, num, apiPort) : undefined,
    stackDir: env.SLIPWAY_STACK_DIR || undefined,
    runtimeCacheDir: env.SLIPWAY_RUNTIME_CACHE_DIR || '/var/cache/slipway/runtimes',
    buildTimeoutMs: num('SLIPWAY_BUILD_TIMEOUT', 15 * 60) * 1000,
    runtimeCacheQuotaBytes: num('SLIPWAY_RUNTIME_CACHE_QUOTA', 10240) * 1024 * 1024,
    buildCacheQuotaBytes: Math.max(16, num('SLIPWAY_BUILD_CACHE_QUOTA', 2048)) * 1024 * 1024,
    buildMinFreeDiskBytes: num('SLIPWAY_BUILD_MIN_FREE_DISK', 2048) * 1024 * 1024,
    pushMaxBytes: Math.max(1024, num('SLIPWAY_PUSH_MAX_BYTES', 1024 ** 3)),
    appsPerAccount: num('SLIPWAY_APPS_PER_ACCOUNT', 100),
    teamsPerAccount: num('SLIPWAY_TEAMS_PER_ACCOUNT', 10),
    apiRateLimit: num('SLIPWAY_API_RATE_LIMIT', 4500),
    oneOffsPerAccount: num('SLIPWAY_ONE_OFFS_PER_ACCOUNT', 10),
    logLinesPerSecond: num('SLIPWAY_LOG_RATE', 1000),
    logLinesBurst: num('SLIPWAY_LOG_BURST', 10_000),
    bootTimeoutMs: num('SLIPWAY_BOOT_TIMEOUT', 60) * 1000,
    stopGraceMs: num('SLIPWAY_STOP_GRACE', 30) * 1000,
    crashBackoffMinuteMs: num('SLIPWAY_CRASH_BACKOFF_MINUTE', 60) * 1000,
    routerBootHoldMs: num('SLIPWAY_ROUTER_BOOT_HOLD', 75) * 1000,
    attachTimeoutMs: num('SLIPWAY_ATTACH_TIMEOUT', 120) * 1000,
    hangupIntervalMs: Math.max(num('SLIPWAY_HANGUP_INTERVAL', 5), 0.1) * 1000,
    cycleMs: num('SLIPWAY_CYCLE_AFTER', 24 * 3600) * 1000,
    cycleJitterMs: num('SLIPWAY_CYCLE_JITTER', 216 * 60) * 1000,
    idleAfterMs: num('SLIPWAY_IDLE_AFTER', 3600) * 1000,
    metricsIntervalMs: Math.max(num('SLIPWAY_METRICS_INTERVAL', 20), 0.1) * 1000,
    routerRequestTimeoutMs: num('SLIPWAY_ROUTER_TIMEOUT', 30) * 1000,
    routerConnectTimeoutMs: num('SLIPWAY_ROUTER_CONNECT_TIMEOUT', 5) * 1000,
    routerBacklog: Math.max(1, num('SLIPWAY_ROUTER_BACKLOG', 200)),
    routerIdleTimeoutMs: num('SLIPWAY_ROUTER_IDLE_TIMEOUT', 55) * 1000,
    routerClientTimeoutMs: num('SLIPWAY_ROUTER_CLIENT_TIMEOUT', 60) * 1000,
    routerEngine,
    routerThreads: num('SLIPWAY_ROUTER_THREADS', 0),
    addonsPool: env.SLIPWAY_ADDONS_POOL || '10.214.0.0/16',
    addonsCheckIntervalMs: Math.max(num('SLIPWAY_ADDONS_CHECK_INTERVAL', 60), 0.1) * 1000,
    releaseTimeoutMs: num('SLIPWAY_RELEASE_TIMEOUT', 3600) * 1000,
    releasesKept: Math.max(1, Math.floor(num('SLIPWAY_RELEASES_KEPT', 100))),
    slugGraceMs: num('SLIPWAY_SLUG_GRACE', 3600) * 1000,
    streamTtlMs: num('SLIPWAY_STREAM_TTL', 3600) * 1000,
    localBuildpackDirs: (() => {
      try { return parseLocalBuildpackDirs(env[LOCAL_BUILDPACKS_SETTING]); } catch (err) { throw new ConfigError(`${(err as Error).message}.`); }
    })(),
    allowPrivateTargets: (() => {
      try { return parseAllowedTargets(env[ALLOW_SETTING]); } catch (err) { throw new ConfigError(`${(err as Error).message}.`); }
    })(),
    webhookRetryBaseMs: Math.max(num('SLIPWAY_WEBHOOK_RETRY_BASE', 10), 0.1) * 1000,
    webhookAttempts: Math.max(1, Math.floor(num('SLIPWAY_WEBHOOK_ATTEMPTS', 10))),
    schedulerMinuteMs: Math.max(num('SLIPWAY_SCHEDULER_MINUTE', 60), 0.5) * 1000,
    reviewAppStaleMs: num('SLIPWAY_REVIEW_APP_STALE_DAYS', 5) * 86_400_000,
    reviewAppSweepMs: env.SLIPWAY_REVIEW_APP_SWEEP ? Math.max(num('SLIPWAY_REVIEW_APP_SWEEP', 3600), 0.5) * 1000 : undefined,
    postdeployTimeoutMs: num('SLIPWAY_POSTDEPLOY_TIMEOUT', 3600) * 1000,
    dynoPool: env.SLIPWAY_DYNO_POOL || undefined,
    firewallPrefix: env.SLIPWAY_FIREWALL_PREFIX || undefined,
    metricsToken: env.SLIPWAY_METRICS_TOKEN || undefined,
    backupSchedule: backupSchedule(env, num),
    diskHighWater: (() => {
      try { return parseHighWater(env.SLIPWAY_DISK_HIGH_WATER); } catch (err) { throw new ConfigError(`${(err as Error).message}.`); }
    })(),
  };
}

/**
 * Where what every platform process must reach lives: under the data dir by default (one machine), under
 * SLIPWAY_BLOB_DIR when set (a filesystem all the platform's machines mount, such as NFS).
 */
export function sharedDirs(config: Pick<PlatformConfig, 'dataDir' | 'blobDir'>): { blobs: string; output: string; repos: string; secrets: string } {
  const d = config.dataDir;
  const b = config.blobDir;
  // `secrets/` holds the key config vars are encrypted with: every process must decrypt what another wrote.
  return b ? { blobs: b, output: join(b, 'output'), repos: join(b, 'repos'), secrets: join(b, 'secrets') }
    : { blobs: join(d, 'blobs'), output: join(d, 'output'), repos: join(d, 'repos'), secrets: join(d, 'secrets') };
}

function backupSchedule(env: NodeJS.ProcessEnv, num: (name: string, def: number) => number): PlatformConfig['backupSchedule'] {
  if (!env.SLIPWAY_BACKUP_SCHEDULE) return undefined;
  if (env.SLIPWAY_DATABASE_URL || env.SLIPWAY_BLOB_DIR) throw new ConfigError('SLIPWAY_BACKUP_SCHEDULE archives a data dir that holds everything: with SLIPWAY_DATABASE_URL or SLIPWAY_BLOB_DIR set, back up the database (pg_dump) and the blob dir with their own tools instead.');
  let everyMs: number;
  try { everyMs = parseSchedule(env.SLIPWAY_BACKUP_SCHEDULE); } catch (err) { throw new ConfigError(`${(err as Error).message}.`); }
  if (!env.SLIPWAY_BACKUP_DIR) throw new ConfigError('SLIPWAY_BACKUP_SCHEDULE needs SLIPWAY_BACKUP_DIR: where the archives go (best on another disk than the data dir).');
  if (!env.SLIPWAY_BACKUP_PASSPHRASE) throw new ConfigError('SLIPWAY_BACKUP_SCHEDULE needs SLIPWAY_BACKUP_PASSPHRASE: it seals the archives\' secrets.');
  const dir = resolve(env.SLIPWAY_BACKUP_DIR);
  const dataDir = resolve(env.SLIPWAY_DATA_DIR || join(homedir(), '.slipway'));
  if (dir === dataDir || dir.startsWith(`${dataDir}/`)) throw new ConfigError('SLIPWAY_BACKUP_DIR must be outside the data dir (a restore needs an empty data dir, and a lost disk must not take the backups too).');
  return { everyMs, dir, keep: Math.max(1, Math.floor(num('SLIPWAY_BACKUP_KEEP', 7))), passphrase: env.SLIPWAY_BACKUP_PASSPHRASE };
}

export interface SwarmSettings {
  /** The engine (DOCKER_HOST, read before the environment is confined; default the local socket). */
  dockerHost?: string;
  /** The blob endpoint's port (SLIPWAY_SWARM_BLOB_PORT; default the API port + 2) and the URL tasks reach it at (SLIPWAY_SWARM_BLOB_URL). */
  blobPort: number;
  blobUrl?: string;
  /** The registry every node pulls the stack image from (SLIPWAY_REGISTRY, `host:port`); unset on a single node. */
  registry?: string;
  /** Where nodes pull the stack image from the platform's own registry (SLIPWAY_SWARM_REGISTRY_PORT; default the API port + 3), with more than one node and no SLIPWAY_REGISTRY. */
  registryPort: number;
  /** Swarm's delay before restarting a crashed task (SLIPWAY_SWARM_RESTART_DELAY, 10 s). */
  restartDelayMs: number;
  /** The backstop look at tasks on other nodes (SLIPWAY_SWARM_POLL, 5 s). */
  pollMs: number;
  /** How long a task's signed slug URL works (SLIPWAY_SWARM_SLUG_URL_TTL, 24 h). */
  slugUrlTtlMs: number;
  /** The engine socket's path on every node, bound into the engine agent (SLIPWAY_SWARM_ENGINE_SOCKET; may hold `{{.Node.ID}}`). */
  engineSocket: string;
}

function swarmSettings(env: NodeJS.ProcessEnv, num: (name: string, def: number) => number, apiPort: number): SwarmSettings {
  const blobUrl = env.SLIPWAY_SWARM_BLOB_URL?.replace(/\/+$/, '') || undefined;
  if (blobUrl && !/^https?:\/\/[^/]+$/.test(blobUrl)) throw new ConfigError(`SLIPWAY_SWARM_BLOB_URL must be http://host:port (how tasks reach the blob endpoint), got ${JSON.stringify(blobUrl)}.`);
  const registry = env.SLIPWAY_REGISTRY || undefined;
  if (registry && !/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry)) throw new ConfigError(`SLIPWAY_REGISTRY must be host[:port], got ${JSON.stringify(registry)}.`);
  return {
    dockerHost: env.DOCKER_HOST || undefined, blobPort: num('SLIPWAY_SWARM_BLOB_PORT', apiPort + 2), blobUrl, registry,
    registryPort: num('SLIPWAY_SWARM_REGISTRY_PORT', apiPort + 3),
    restartDelayMs: num('SLIPWAY_SWARM_RESTART_DELAY', 10) * 1000, pollMs: Math.max(num('SLIPWAY_SWARM_POLL', 5), 0.5) * 1000,
    slugUrlTtlMs: Math.max(num('SLIPWAY_SWARM_SLUG_URL_TTL', 24 * 3600), 600) * 1000,
    engineSocket: engineSocket(env.SLIPWAY_SWARM_ENGINE_SOCKET),
  };
}

function engineSocket(value: string | undefined): string {
  const path = value || '/var/run/docker.sock';
  if (!/^\/[A-Za-z0-9._/{}-]+$/.test(path) || path.includes('..')) throw new ConfigError(`SLIPWAY_SWARM_ENGINE_SOCKET must be an absolute path (may hold {{.Node.ID}}), got ${JSON.stringify(value)}.`);
  return path;
}

export class ConfigError extends Error {}

/**
 * The platform log's settings (read before the rest, so a bad setting is itself logged):
 * SLIPWAY_LOG_LEVEL (info) and SLIPWAY_LOG_FORMAT (text, or json for a log shipper).
 */
export function loadLogConfig(env: NodeJS.ProcessEnv = process.env): LoggerOptions {
  const level = env.SLIPWAY_LOG_LEVEL ? parseLevel(env.SLIPWAY_LOG_LEVEL) : 'info';
  const format = env.SLIPWAY_LOG_FORMAT || 'text';
  if (format !== 'text' && format !== 'json') throw new ConfigError(`SLIPWAY_LOG_FORMAT must be text or json, got ${JSON.stringify(format)}.`);
  if (!level) throw new ConfigError(`SLIPWAY_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} or silent, got ${JSON.stringify(env.SLIPWAY_LOG_LEVEL)}.`);
  return { level, format };
}
