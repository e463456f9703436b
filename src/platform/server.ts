// `slipway server`: the composition root. Reads the config, builds every component and wires them
// together (receive → build → release → reconcile → route), then runs until SIGTERM / ctrl-C, when it
// stops every dyno (SIGTERM, grace period, SIGKILL) and leaves no container behind.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Accounts } from '../accounts/index.ts';
import { Dashboard } from '../dashboard/index.ts';
import { Authorizations } from '../accounts/authorizations.ts';
import { Throttles } from '../accounts/throttle-store.ts';
import { AppAccess } from '../apps/access.ts';
import { Collaborators } from '../apps/collaborators.ts';
import { Teams } from '../apps/teams.ts';
import { webUrl } from '../api/deps.ts';
import { createApiServer } from '../api/server.ts';
import { Addons, managedKeys } from '../addons/index.ts';
import { Apps, Domains, Features, SniEndpoints } from '../apps/index.ts';
import { Builder } from '../build/index.ts';
import { BuildpackInstallations } from '../build/installations.ts';
import { BuildRecords, SlugRecords } from '../build/records.ts';
import { Deployer } from '../deploy/index.ts';
import { DynoManager } from '../dynos/manager.ts';
import { resyncApp } from '../dynos/app-states.ts';
import { DynoMetricsHistory } from '../dynos/metrics-history.ts';
import { GitHttp, type GitApp, type GitUser } from '../git/http.ts';
import { GitSsh } from '../git/ssh.ts';
import { SshKeys } from '../accounts/keys.ts';
import { PushHandler } from '../git/push.ts';
import { Repos } from '../git/repos.ts';
import { Drains, Logplex, SharedLogs } from '../logs/index.ts';
import { aad, ConfigCipher, Releases } from '../releases/index.ts';
import { migrateSecrets } from '../releases/secrets-migration.ts';
import { Housekeeping } from '../releases/housekeeping.ts';
import { OutputStore } from '../releases/output.ts';
import { CertTable, HaproxyController, haproxyAvailable, inspectCertificate, lookupHost, prepareJail, Router, RouterMetrics, RouterMetricsStore } from '../router/index.ts';
import { cgroupLayout, createRuntime } from '../runtime/index.ts';
import { protectFromOom } from './oom.ts';
import { joinOwnCgroup } from './own-cgroup.ts';
import { BlobStore, sweepUnpackLeftovers } from '../slugs/index.ts';
import { openDatabase } from '../store/index.ts';
import { lockLeadership, soleLeadership } from '../store/leader.ts';
import { sharedDirs, type PlatformConfig } from './config.ts';
import { createLogger, type Logger } from '../logger/index.ts';
import { ensureServerCert } from './tls.ts';
import { Rendezvous } from '../api/rendezvous.ts';
import { hostname } from 'node:os';
import { listen } from './listen.ts';
import { plainAndTls } from './sniff.ts';
import { AppSetups } from '../appsetups/index.ts';
import { Pipelines } from '../pipelines/index.ts';
import { Webhooks } from '../webhooks/index.ts';
import { Scheduler } from '../scheduler/index.ts';
import { ReviewApps } from '../reviewapps/index.ts';
import { appEvents } from './app-events.ts';
import { platformHealth } from './health.ts';
import { diskUse, overHighWater } from '../health/index.ts';
import { scheduleBackups } from './backup-command.ts';
import { recovered, recoveryLine } from './recovery.ts';
import { containerPrefixFor, swarmParts } from './swarm.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** With a shared store: how often each process reads again which app's webhooks want which events. */
const WEBHOOKS_FOLLOW_MS = 2000;

export interface Platform {
  config: PlatformConfig;
  stop(): Promise<void>;
}

/**
 * Starts everything; resolves once the API and router are listening. `undo` receives, as they start, the
 * steps that take down what outlives a process killed mid-start (add-on servers, containers, its own
 * cgroup): the caller runs them, last first, when the start fails.
 */
export async function startPlatform(config: PlatformConfig, log: Logger = createLogger(), undo: (() => Promise<unknown>)[] = []): Promise<Platform> {
  // The platform's announcements (banner, operator key, stack progress) are its log's info lines.
  const say = (line: string): void => log.info(line);
  const oom = await protectFromOom();
  if (oom.problem) log.warn(oom.problem);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openDatabase({ file: join(config.dataDir, 'slipway.db'), url: config.databaseUrl });
  const db = store.db;
  const shared = sharedDirs(config);
  // What must run once (dynos, scheduler, housekeeping...) runs in the leader: with PostgreSQL the holder
  // of its advisory lock, which exits when it loses it (another process may have taken over).
  const leader = config.databaseUrl ? await lockLeadership({
    url: config.databaseUrl, db, onTryFailed: (err) => log.warn(`could not try for the leader lock: ${err.message}`),
    onLost: (err) => { log.fatal(`lost the leader lock (${err.message}): exiting, so two processes never run the same dynos`); process.exit(1); },
  }) : soleLeadership();
  // Secrets at rest: opened (and older data migrated) before anything reads them.
  const cipher = await ConfigCipher.open(join(shared.secrets, 'config.key'));
  const migrated = await migrateSecrets(db, cipher);
  if (migrated) say(`Encrypted ${migrated} stored secret${migrated === 1 ? '' : 's'} in the current format (each bound to its row).`);

  const accounts = new Accounts({ db });
  const access = new AppAccess({ db, logger: log });
  const teams = new Teams({ db, isOperator: (id) => accounts.isOperator(id), maxPerAccount: config.teamsPerAccount });
  const throttles = await Throttles.open({ db, logger: log, rate: config.apiRateLimit > 0 ? { capacity: config.apiRateLimit, perMinute: config.apiRateLimit / 60 } : undefined });
  const op = await accounts.ensureOperator(config.operatorEmail, config.operatorKey, () => randomBytes(24).toString('hex'));
  const keyFile = join(config.dataDir, 'operator.key');
  if (op.key || (config.operatorKey && (op.replaced || !existsSync(keyFile)))) {
    await writeFile(keyFile, `${op.key ?? config.operatorKey}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
  }
  if (op.replaced) say(`The operator is now ${config.operatorEmail} (was ${op.replaced}); the previous operator key no longer works.`);
  if (op.key && !config.operatorKey) {
    say(`${op.created ? 'Created the operator account' : 'A new key for the operator account'} ${config.operatorEmail}. Its API key (shown once; also in ${keyFile}):`);
    say(`    ${op.key}`);
  }

  // Every container of this platform is named with this prefix; other platforms on the machine (a test
  // suite beside a running one) have their own, so cleaning up ours never touches theirs.
  const containerPrefix = containerPrefixFor(config.dataDir);
  const runtimeLog = log.child({ component: 'runtime' });
  const runtime = createRuntime({
    kind: config.runtime === 'swarm' ? 'auto' : config.runtime, stackDir: config.stackDir, stateDir: join(config.dataDir, 'runtime'), warn: (l) => runtimeLog.warn(l),
    addressPool: config.dynoPool, firewallChainPrefix: config.firewallPrefix, oomScoreAdj: oom.containerScore,
    openTargets: [config.addonsPool], allowPrivate: config.allowPrivateTargets,
    poolPrefix: `${containerPrefix}pool-`, onPoolError: (err) => runtimeLog.warn({ err }, 'could not make a network namespace ahead'),
  });
  const layout = runtime.name === 'runc' ? await cgroupLayout() : undefined;
  if (layout) runtimeLog.info(`cgroup hierarchy: ${layout}`);
  const ownCgroup = layout && await joinOwnCgroup(layout, `${containerPrefix}platform`)
    .catch((err: Error) => { log.warn(`could not move the platform into a cgroup of its own: ${err.message}`); return undefined; });
  undo.push(async () => { const left = await ownCgroup?.leave(); if (left) throw new Error(left); });
  await runtime.cleanup(containerPrefix);
  undo.push(() => runtime.cleanup(containerPrefix));
  await runtime.prepare((line) => say(`stack: ${line}`));

  const unlimited = config.logLinesPerSecond === 0;
  const logs = new Logplex({ appLinesPerSecond: unlimited ? Number.POSITIVE_INFINITY : config.logLinesPerSecond, appLinesBurst: unlimited ? Number.POSITIVE_INFINITY : config.logLinesBurst });
  // Several processes: each stores the others' lines too (logs/shared.ts); drains run in the leader alone.
  const sharedLogs = config.databaseUrl ? new SharedLogs({ url: config.databaseUrl, logs, reportError: (err, context) => log.warn({ err }, context) }) : undefined;
  await sharedLogs?.start();
  const drains = new Drains({
    db, logs, egress: config.allowPrivateTargets, urls: { seal: (row, url) => cipher.encrypt(url, aad.drainUrl(row)), open: (row) => cipher.decrypt(row.url, aad.drainUrl(row)) },
    waitForStart: true, onChange: (app) => void leader.notify({ app, drains: true }).catch((err) => log.error({ err }, 'could not notify the leader')),
  });
  if (leader.leading) await drains.start();
  const blobs = new BlobStore({ dir: shared.blobs });
  const slugRecords = new SlugRecords({ db, stack: runtime.stack, blobs });
  const releaseOutputs = new OutputStore(join(shared.output, 'releases'), { kind: 'releases', db, ttlMs: config.streamTtlMs, logger: log });
  const buildOutputs = new OutputStore(join(shared.output, 'builds'), { kind: 'builds', db, ttlMs: config.streamTtlMs, logger: log });
  // Dynos' memory and load per minute for the dashboard's charts (the store keeps 24 hours).
  const dynoMetrics = new DynoMetricsHistory({ db, onError: (message) => log.error({ component: 'dynos' }, message) });
  // App webhooks: each component tells of its changes (`onChange`); subscribed receivers hear them (egress-guarded, signed, retried).
  const webhooks = new Webhooks({
    db, egress: config.allowPrivateTargets, sealer: cipher, retryBaseMs: config.webhookRetryBaseMs, maxAttempts: config.webhookAttempts, logger: log,
    followMs: config.databaseUrl ? WEBHOOKS_FOLLOW_MS : undefined,
  });
  const events = appEvents(webhooks, () => ({ apps, accounts, teams, addons, sniEndpoints, dynos, publicUrl: config.publicUrl, domain: config.domain, routerPort: config.routerPort }));
  // Under swarm, formation dynos are the engine's services and one-offs its containers; builds stay on runc here.
  const swarm = config.swarm && await swarmParts({ ...config, swarm: config.swarm }, { stackRoot: runtime.stackDir, slugFiles: (sha) => slugRecords.filesOfBlob(sha), cipher, logs, logger: log, addonServers: (): { address: string; ports: number[] } => addons.servers() });
  const dynos = new DynoManager({
    onSample: (...sample) => dynoMetrics.record(...sample),
    db, logs, blobs, dataDir: config.dataDir, domain: config.domain, bootTimeoutMs: config.bootTimeoutMs,
    stopGraceMs: config.stopGraceMs, crashBackoffMinuteMs: config.crashBackoffMinuteMs, cycleMs: config.cycleMs,
    cycleJitterMs: config.cycleJitterMs, idleAfterMs: config.idleAfterMs, hangupIntervalMs: config.hangupIntervalMs, metricsIntervalMs: config.metricsIntervalMs,
    containerPrefix, decodeConfig: (stored, release) => cipher.decryptMap(stored, aad.releaseConfig(release)), lookupHost, logger: log,
    oneOffsPerAccount: config.oneOffsPerAccount, onChange: { formation: events.formation, dyno: events.dyno, state: events.state },
    leader: config.databaseUrl ? (n) => void leader.notify(n).catch((err) => log.error({ err }, 'could not notify the leader')) : undefined,
    runtime: swarm?.oneOffs ?? runtime, cluster: swarm?.cluster,
  });
  // Notices before the manager runs are covered by its start, which reads every app.
  leader.onNotice((n) => {
    if (n.gone) drains.forget(n.app);
    else if (n.drains) void drains.resync(n.app).catch((err) => log.error({ err, app: n.app }, 'following a drain change made elsewhere failed'));
    if (!n.drains && dynos.running) void resyncApp(dynos, db, n).catch((err) => log.error({ err, app: n.app }, 'following a change made elsewhere failed'));
  });
  // Before any dyno launches: slug unpacks a killed platform left half-done.
  const swept = await sweepUnpackLeftovers(join(config.dataDir, 'slugs'));
  if (swept > 0) say(`Removed ${swept} unfinished slug unpack${swept === 1 ? '' : 's'} left by a stopped platform.`);
  const housekeeping = new Housekeeping({ db, blobs, dataDir: config.dataDir, outputDir: shared.output, keep: config.releasesKept, graceMs: config.slugGraceMs, inUse: () => dynos.slugsInUse(), logger: log });
  const releases = new Releases({
    db, logs, cipher, blobs, outputs: releaseOutputs, releaseTimeoutMs: config.releaseTimeoutMs, logger: log,
    runReleaseCommand: (r) => dynos.oneOffs.runReleaseCommand({ ...r, releaseId: r.release.id }),
    // A release going live: the dyno manager makes the formation follow it and replaces the dynos.
    onRelease: async (appId, release) => { await dynos.goLive(appId, release); housekeeping.schedule(); },
    onChange: events.release,
    // A rollback leaves add-ons' vars as they are now: add-ons are not rolled back.
    managedKeys: (appId) => managedKeys(db, cipher, appId),
  });
  // Add-on servers come up before any dyno that may connect to them, and go down after the last one.
  const addons = new Addons({
    db, releases, blobs, dir: join(config.dataDir, 'addons'), id: containerPrefix, pool: config.addonsPool,
    checkIntervalMs: config.addonsCheckIntervalMs, sealer: cipher, logger: log, onChange: { addon: events.addon, attachment: events.attachment },
  });
  undo.push(() => addons.stop());
  const urls = { domain: config.domain, routerPort: config.routerPort };
  // Past the data disk's high-water mark, destroyed apps' blobs go first (oldest first); if the disk is
  // still past it, builds and slug uploads are refused; dynos and logs go on.
  const overMark = async () => overHighWater(await diskUse(config.dataDir), config.diskHighWater);
  const diskFull = async () => {
    if (!(await overMark())) return undefined;
    await housekeeping.makeRoom(async () => (await overMark()) !== undefined).catch((err) => log.error({ err }, 'making room on the data disk failed'));
    return overMark();
  };
  const builder = new Builder({
    db, runtime, blobs, logs, dataDir: config.dataDir, builtinRoot: join(ROOT, 'buildpacks'), localBuildpackDirs: config.localBuildpackDirs,
    runtimeCacheDir: config.runtimeCacheDir, timeoutMs: config.buildTimeoutMs, cacheQuotaBytes: config.buildCacheQuotaBytes, runtimeCacheQuotaBytes: config.runtimeCacheQuotaBytes, minFreeDiskBytes: config.buildMinFreeDiskBytes, diskFull, containerPrefix, webUrl: (name) => webUrl(urls, name), logger: log,
    release: async ({ appId, user, slug, description, formation, appJson, output }) => {
      // A push's first deploy applies app.json (add-ons, env) before its release; postdeploy once it is live.
      const app = await apps.find(appId).then((a) => ({ id: a.id, name: a.name }));
      const postdeploy = appJson ? await appSetups.firstDeploy(app, user, appJson, output) : undefined;
      const r = await releases.create({ appId, user, slugId: slug.id, description, formation });
      if (postdeploy) {
        void releases.settled(r).then(async (status) => {
          if (status !== 'succeeded') return;
          const done = await appSetups.runScript(app, user, postdeploy.command, postdeploy.size, 'postdeploy');
          logs.emit(appId, 'heroku', 'postdeploy', `scripts.postdeploy exited with status ${done.exit_code}`);
        }).catch((err) => log.error({ err, app: app.name }, 'postdeploy failed'));
      }
      return { id: r.id, version: r.version, pending: r.status === 'pending' };
    },
    configVars: (appId) => releases.configVars(appId), onChange: events.build,
  });
  await builder.cleanup();
  const repos = new Repos(shared.repos);
  const apps = new Apps({
    db, stack: runtime.stack, repos, dynos, addons, maxPerAccount: config.appsPerAccount, onChange: events.app,
    forget: (appId) => { logs.forget(appId); drains.forget(appId); housekeeping.schedule(); },
    releaseTenant: async (appId) => {
      const released = await runtime.releaseUser?.(appId).catch((err: Error) => { log.warn({ err, app: appId }, 'could not release the app\'s uid'); return true; });
      if (released === false) log.warn({ app: appId }, 'a process still runs as the destroyed app\'s uid (a build?): its uid stays claimed');
    },
  });
  const git = new GitHttp({
    repos,
    authenticate: (req) => accounts.authenticate(req),
    findApp: (user, name) => access.appNamedFor(user, name, 'git'),
    hookUrl: `http://127.0.0.1:${config.apiPort}/internal/hooks/pre-receive`, maxPushBytes: config.pushMaxBytes, logger: log,
  });
  // Git over SSH asks the same access decision as git over HTTP and the API (apps/access.ts).
  const mayAccessRepo = async (user: GitUser, app: GitApp): Promise<boolean> => (await access.appNamedFor(user, app.name, 'ssh')) !== undefined;
  const sshKeys = new SshKeys({ db });
  const gitSsh = config.sshPort === 0 ? undefined : new GitSsh({
    port: config.sshPort ?? 2222, fallbackToAny: config.sshPort === undefined, dir: join(config.dataDir, 'ssh'), repos,
    keyOwner: (type, blob) => sshKeys.owner(type, blob), findApp: (name) => apps.byName(name), mayAccess: mayAccessRepo,
    pushes: git.pushes, hookUrl: `http://127.0.0.1:${config.apiPort}/internal/hooks/pre-receive`, maxPushBytes: config.pushMaxBytes, logger: log,
  });
  const deployer = new Deployer({
    builder, buildOutputs, releaseOutputs, settled: (id) => releases.settled({ id }), logger: log,
    subscribeLines: (appId, onLine) => logs.subscribe(appId, {}, onLine),
  });
  // Other branches pushed to a pipeline's staging app make review apps (reviewApps, made below).
  const push = new PushHandler({
    git, repos, deployer, remoteName: 'slipway',
    branches: { pushed: (r) => reviewApps.pushed(r), deleted: (r) => reviewApps.deleted(r) },
  });
  const buildpackInstallations = new BuildpackInstallations({ db, localBuildpackDirs: config.localBuildpackDirs });
  const appSetups = new AppSetups({
    db, dataDir: config.dataDir, stacks: [runtime.stack, 'heroku-24'], egress: config.allowPrivateTargets,
    apps: { create: (o, a) => apps.create(o, a), destroy: (a, u) => apps.destroy(a, u), byId: (id) => apps.find(id).catch(() => undefined) },
    addons: { create: (o) => addons.create(o) },
    setConfig: (appId, user, vars) => releases.setConfig(appId, user, vars),
    configVars: (appId) => releases.configVars(appId),
    setBuildpacks: (appId, urls) => buildpackInstallations.set(appId, urls),
    recordBuild: (r) => builder.record(r),
    deploy: (req) => deployer.queue.exclusive(req.app.id, () => deployer.deploy(req)),
    runOneOff: (appId, command, user, o) => dynos.oneOffs.run(appId, command, user, o),
    postdeployTimeoutMs: config.postdeployTimeoutMs, webUrl: (name) => webUrl(urls, name), logger: log,
  });
  const scheduler = new Scheduler({
    db, minuteMs: config.schedulerMinuteMs, logger: log,
    // Its own one-off budget per app (SLIPWAY_ONE_OFFS_PER_ACCOUNT), apart from the owner's `run`s.
    run: (appId, command, size) => dynos.oneOffs.run(appId, command, `scheduler:${appId}`, { type: 'scheduler', size }),
    log: (appId, message) => logs.emit(appId, 'heroku', 'scheduler', message),
  });
  const pipelines = new Pipelines({ db, releases, logger: log });
  const reviewApps = new ReviewApps({
    db, dataDir: config.dataDir, pipelines, appSetups, staleMs: config.reviewAppStaleMs, sweepMs: config.reviewAppSweepMs, logger: log,
    apps: { create: (o, a) => apps.create(o, a), destroy: (a, u) => apps.destroy(a, u), byId: (id) => apps.find(id).catch(() => undefined) },
    deploy: (req) => deployer.queue.exclusive(req.app.id, () => deployer.deploy(req)),
    webUrl: (name) => webUrl(urls, name),
  });
  // One certificate from the platform's CA for the API's rendezvous and the router's default TLS host.
  const tls = await ensureServerCert(join(config.dataDir, 'tls'), [new URL(config.publicUrl).hostname, 'localhost', '127.0.0.1', hostname(), config.domain, `*.${config.domain}`]);
  const rendezvous = new Rendezvous({
    port: config.rendezvousPort ?? config.apiPort + 1, fallbackToAny: config.rendezvousPort === undefined, publicHost: new URL(config.publicUrl).hostname, key: tls.key, cert: tls.cert,
    caPem: await readFile(tls.caFile, 'utf8'), attachTimeoutMs: config.attachTimeoutMs, logger: log,
  });
  // Certificates of custom domains (SNI endpoints) the router serves, from the store.
  const certs = new CertTable();
  const sniEndpoints = new SniEndpoints({ db, sealer: cipher, table: certs, check: inspectCertificate, onChange: events.sniEndpoint });
  await sniEndpoints.publish();
  const domains = new Domains({ db, domain: config.domain, routes: dynos, certs: sniEndpoints, onChange: events.domain });
  // Router metrics: finished minutes go to the store, which keeps the last 24 hours.
  const routerMetricsStore = new RouterMetricsStore({ db, onError: (message) => log.error({ component: 'router' }, message) });
  const routerMetrics = new RouterMetrics({ persist: (appId, m) => routerMetricsStore.save(appId, m) });
  const metricsTimer = setInterval(() => {
    routerMetrics.flush();
    void routerMetricsStore.prune();
    dynoMetrics.flush();
  }, 10_000);
  // HAProxy is made further down; readiness asks it through this late binding.
  let haproxyProblem: () => string | undefined = () => undefined;
  const health = platformHealth({ db, dataDir: config.dataDir, runtime, logs, drains, dynos, highWater: config.diskHighWater, metricsToken: config.metricsToken, haproxyProblem: () => haproxyProblem() });
  const recordRequest = (appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined, code: string | undefined, at?: number) => {
    routerMetrics.record(appId, status, ms, bytes, code, at);
    health.metrics.routerRequest(status);
  };
  // One count of failed password logins per account, for both doors: `heroku login` and the dashboard.
  const loginThrottle = throttles.login;
  const { server: apiServer, app: fastify } = await createApiServer({
    deps: {
      rendezvous, routerMetrics, routerMetricsStore, dynoMetrics, addons, accounts, sshKeys, apps, access, teams,
      authorizations: new Authorizations({ db }), collaborators: new Collaborators({ db, maxPerAccount: config.appsPerAccount, onChange: events.collaborator }),
      loginThrottle, rateLimiter: throttles.rate, domains, sniEndpoints,
      features: new Features({ db, dynos }), buildpacks: buildpackInstallations, builds: new BuildRecords({ db }),
      slugs: slugRecords,
      releases, dynos, builder, deployer, repos, logs, blobs, cipher, releaseOutputs, buildOutputs, housekeeping,
      publicUrl: config.publicUrl, domain: config.domain, diskFull,
      routerPort: config.routerPort, stack: runtime.stack,
      logSessions: { create: (appId, o) => logs.createSession(appId, o) },
      drains, appSetups, pipelines, webhooks, scheduler, gitSshPort: () => gitSsh?.port || undefined,
    },
    git, push, dataDir: config.dataDir, logger: log,
    dashboard: new Dashboard({ db, assetsDir: join(ROOT, 'dist', 'dashboard'), secure: config.publicUrl.startsWith('https:'), loginThrottle, logger: log }),
    health: health.endpoints, onAnswered: (method, status, seconds) => health.metrics.apiRequest(method, status, seconds),
    sessionStream: (req, res, id) => void logs.handleSessionRequest(req, res, id),
  });
  // The data path: HAProxy in front (when installed, or SLIPWAY_ROUTER=haproxy), the Node router behind
  // it on a private socket for what HAProxy cannot decide; or the Node router alone on the port.
  const engine = config.routerEngine === 'auto' ? (await haproxyAvailable() ? 'haproxy' : 'node') : config.routerEngine;
  const routerDir = join(config.dataDir, 'router');
  const fallbackSocket = engine === 'haproxy' ? await prepareJail(routerDir) : '';
  const router = new Router({
    port: config.routerPort, domain: config.domain, routes: dynos.routes, logs,
    requestTimeoutMs: config.routerRequestTimeoutMs, bootHoldMs: config.routerBootHoldMs, clientKeepAliveMs: config.routerClientTimeoutMs,
    onRequest: recordRequest,
    ...(engine === 'haproxy' ? { socketPath: fallbackSocket, behindProxy: true } : {}),
  });
  const haproxy = engine === 'haproxy' ? new HaproxyController({
    tls: config.routerTlsPort ? { port: config.routerTlsPort, defaultPem: `${tls.cert.trim()}\n${tls.key.trim()}\n`, certs } : undefined,
    onRequest: recordRequest,
    threads: config.routerThreads || undefined, logger: log, dir: routerDir, listen: { host: '0.0.0.0', port: config.routerPort }, domain: config.domain, routes: dynos.routes, logs, fallbackSocket,
    timeouts: { connectMs: config.routerConnectTimeoutMs, backlogPerDyno: config.routerBacklog, queueMs: 1, serverMs: config.routerRequestTimeoutMs, idleMs: config.routerIdleTimeoutMs, clientKeepAliveMs: config.routerClientTimeoutMs },
  }) : undefined;
  if (haproxy) haproxyProblem = () => haproxy.problem();

  // The leader's part, before the API listens: what a killed platform left half-done is finished, add-on
  // servers come up before any dyno that may connect to them. Then (runAsLeader) dynos and the timers.
  let stopping: Promise<void> | undefined;
  let backups: ReturnType<typeof scheduleBackups> | undefined;
  const recoverAsLeader = async () => {
    await releases.recover();
    await appSetups.recover();
    await pipelines.recover();
    await addons.start();
    await housekeeping.start();
  };
  if (leader.leading) await recoverAsLeader();
  else addons.standBy();

  // The API port takes TLS too (the official CLI's git remotes are https on the API's host:port).
  const apiListener = plainAndTls(apiServer, { cert: tls.cert, key: tls.key, onTlsError: (err) => log.debug({ component: 'api' }, `TLS handshake failed: ${err.message}`) });
  await listen(apiListener, config.apiPort, 'API');
  await rendezvous.listen();
  await gitSsh?.listen();
  await router.listen();
  await haproxy?.start();
  const runAsLeader = async () => {
    await drains.start();
    await dynos.start();
    webhooks.start();
    scheduler.start();
    reviewApps.start(async (appId) => {
      const app = await apps.find(appId).catch(() => undefined);
      return app && (await accounts.users([app.owner_id])).get(app.owner_id);
    });
    backups = config.backupSchedule ? scheduleBackups(config, config.backupSchedule, log) : undefined;
  };
  if (leader.leading) await runAsLeader();
  else {
    say('Another platform process leads (runs the dynos, scheduler, housekeeping); this one serves the API and takes over when that one is gone.');
    void leader.acquired.then(async () => {
      if (stopping) return;
      say('This platform process now leads: it runs the dynos.');
      await recoverAsLeader();
      await runAsLeader();
    }).catch((err) => { log.fatal({ err }, 'taking over as the leader failed: exiting'); process.exit(1); });
  }
  say(recoveryLine(await recovered(db)));
  say(`Slipway is running (runtime: ${swarm ? `swarm, builds on ${runtime.name}` : runtime.name}, stack: ${runtime.stack}).`);
  say(`  API and git:  ${config.publicUrl}   (git remote: ${config.publicUrl}/<app>.git; https on the same port, git config http.sslCAInfo ${tls.caFile})`);
  say(`  Apps:         ${webUrl(urls, '<app>')}   (router: ${engine === 'haproxy' ? 'HAProxy, Node router behind it' : 'Node'})`);
  if (gitSsh) say(`  git over SSH: port ${gitSsh.port}   (git remote: git@${new URL(config.publicUrl).hostname}:<app>.git; ssh -p ${gitSsh.port})`);
  say(`  run attaches: ${rendezvous.url}   (heroku CLI: NODE_EXTRA_CA_CERTS=${tls.caFile})`);
  say(`  Data:         ${config.dataDir}`);

  return {
    config,
    stop: () => {
      stopping ??= (async () => {
        say('Stopping: dynos get SIGTERM, then SIGKILL after the grace period...');
        // Each step runs whatever an earlier one threw: one failure must not leave dynos, add-on servers,
        // their namespaces or mounts behind.
        const failed: string[] = [];
        const steps: [string, () => unknown][] = [
          ['backups', () => backups?.stop()], ['haproxy', () => haproxy?.close()], ['housekeeping', () => housekeeping.stop()],
          ['router', () => router.close()], ['webhooks', () => webhooks.stop()], ['scheduler', () => scheduler.stop()],
          ['review apps', () => reviewApps.stop()], ['pipelines', () => pipelines.stop()],
          ['metrics', () => { clearInterval(metricsTimer); routerMetrics.flush(true); dynoMetrics.flush(true); }],
          ['run rendezvous', () => rendezvous.close()], ['git over SSH', () => gitSsh?.close()],
          // Builds in flight are abandoned (their pushes are declined); their containers go first.
          ['builds', () => runtime.cleanup(`${containerPrefix}build-`)], ['dynos', () => dynos.shutdown()],
          // What the runtime made ahead for starts that will not come (network namespaces, /app disks).
          ['prepared', () => runtime.cleanup(`${containerPrefix}pool-`)], ['add-ons', () => addons.stop()], ['leader', () => leader.close()],
          ['API', () => { apiListener.close(); apiServer.closeAllConnections?.(); return fastify.close().catch(() => undefined); }], ['throttles', () => throttles.stop()],
          // The dynos' last lines still go out to the drains, for a moment.
          ['drains', () => drains.close(2000)], ['shared logs', () => sharedLogs?.close()], ['logs', () => logs.close()], ['database', () => store.close()],
          ['own cgroup', async () => { const left = await ownCgroup?.leave(); if (left) throw new Error(left); }],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            failed.push(name);
            log.error({ err }, `stopping ${name} failed`);
          }
        }
        if (failed.length) throw new Error(`stopping failed: ${failed.join(', ')} (see above)`);
        say('Stopped.');
      })();
      return stopping;
    },
  };
}
