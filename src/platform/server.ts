// `slipway server`: the composition root. Reads the config, builds every component and wires them
// together (receive → build → release → reconcile → route), then runs until SIGTERM / ctrl-C, when it
// stops every dyno (SIGTERM, grace period, SIGKILL) and leaves no container behind.
import { createHash, randomBytes } from 'node:crypto';
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
import { DynoMetricsHistory } from '../dynos/metrics-history.ts';
import { GitHttp, type GitApp, type GitUser } from '../git/http.ts';
import { GitSsh } from '../git/ssh.ts';
import { SshKeys } from '../accounts/keys.ts';
import { PushHandler } from '../git/push.ts';
import { Repos } from '../git/repos.ts';
import { Drains, Logplex } from '../logs/index.ts';
import { aad, ConfigCipher, Releases, type ReleaseRow } from '../releases/index.ts';
import { migrateSecrets } from '../releases/secrets-migration.ts';
import { Housekeeping } from '../releases/housekeeping.ts';
import { OutputStore } from '../releases/output.ts';
import { CertTable, HaproxyController, haproxyAvailable, inspectCertificate, lookupHost, prepareJail, Router, RouterMetrics, RouterMetricsStore } from '../router/index.ts';
import { cgroupLayout, createRuntime } from '../runtime/index.ts';
import { protectFromOom } from './oom.ts';
import { BlobStore, sweepUnpackLeftovers } from '../slugs/index.ts';
import { openStore } from '../store/index.ts';
import { ConfigError, loadConfig, loadLogConfig, type PlatformConfig } from './config.ts';
import { createLogger, type Logger } from '../logger/index.ts';
import { confineEnvironment, receiveOperatorKey } from './environment.ts';
import { ensureServerCert } from './tls.ts';
import { Rendezvous } from '../api/rendezvous.ts';
import { hostname } from 'node:os';
import { listen } from './listen.ts';
import { plainAndTls } from './sniff.ts';
import { keepServingOnFaults } from './last-resort.ts';
import { AppSetups } from '../appsetups/index.ts';
import { Pipelines } from '../pipelines/index.ts';
import { Webhooks } from '../webhooks/index.ts';
import { Scheduler } from '../scheduler/index.ts';
import { ReviewApps } from '../reviewapps/index.ts';
import { build as buildShape, release as releaseShape } from '../api/serialize.ts';
import { platformHealth } from './health.ts';
import { diskUse, overHighWater } from '../health/index.ts';
import { scheduleBackups } from './backup-command.ts';
import { recovered, recoveryLine } from './recovery.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Platform {
  config: PlatformConfig;
  stop(): Promise<void>;
}

/** Starts everything; resolves once the API and router are listening. */
export async function startPlatform(config: PlatformConfig, log: Logger = createLogger()): Promise<Platform> {
  // The platform's announcements (banner, operator key, stack progress) are its log's info lines.
  const say = (line: string): void => log.info(line);
  const oom = await protectFromOom();
  if (oom) log.warn(`could not lower the platform's OOM score: ${oom}`);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = openStore(join(config.dataDir, 'slipway.db'));
  const db = store.db;
  // Secrets at rest: opened (and older data migrated) before anything reads them.
  const cipher = await ConfigCipher.open(join(config.dataDir, 'secrets', 'config.key'));
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

  const runtimeLog = log.child({ component: 'runtime' });
  const runtime = createRuntime({
    kind: config.runtime, stackDir: config.stackDir, stateDir: join(config.dataDir, 'runtime'), warn: (l) => runtimeLog.warn(l),
    addressPool: config.dynoPool, firewallChainPrefix: config.firewallPrefix,
    openTargets: [config.addonsPool], allowPrivate: config.allowPrivateTargets,
  });
  if (runtime.name === 'runc') runtimeLog.info(`cgroup hierarchy: ${await cgroupLayout()}`);
  // Every container of this platform is named with this prefix; other platforms on the machine (a test
  // suite beside a running one) have their own, so cleaning up ours never touches theirs.
  const containerPrefix = `slipway-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8)}-`;
  await runtime.cleanup(containerPrefix);
  await runtime.prepare((line) => say(`stack: ${line}`));

  const unlimited = config.logLinesPerSecond === 0;
  const logs = new Logplex({ appLinesPerSecond: unlimited ? Number.POSITIVE_INFINITY : config.logLinesPerSecond, appLinesBurst: unlimited ? Number.POSITIVE_INFINITY : config.logLinesBurst });
  const drains = new Drains({ db, logs, egress: config.allowPrivateTargets, urls: { seal: (row, url) => cipher.encrypt(url, aad.drainUrl(row)), open: (row) => cipher.decrypt(row.url, aad.drainUrl(row)) } });
  await drains.start();
  const blobs = new BlobStore({ dir: join(config.dataDir, 'blobs') });
  const releaseOutputs = new OutputStore(join(config.dataDir, 'output', 'releases'), { kind: 'releases', db, ttlMs: config.streamTtlMs, logger: log });
  const buildOutputs = new OutputStore(join(config.dataDir, 'output', 'builds'), { kind: 'builds', db, ttlMs: config.streamTtlMs, logger: log });
  // Dynos' memory and load per minute for the dashboard's charts (the store keeps 24 hours).
  const dynoMetrics = new DynoMetricsHistory({ db, onError: (message) => log.error({ component: 'dynos' }, message) });
  const dynos = new DynoManager({
    onSample: (...sample) => dynoMetrics.record(...sample),
    db, runtime, logs, blobs, dataDir: config.dataDir, domain: config.domain, bootTimeoutMs: config.bootTimeoutMs,
    stopGraceMs: config.stopGraceMs, crashBackoffMinuteMs: config.crashBackoffMinuteMs, cycleMs: config.cycleMs,
    cycleJitterMs: config.cycleJitterMs, idleAfterMs: config.idleAfterMs, hangupIntervalMs: config.hangupIntervalMs, metricsIntervalMs: config.metricsIntervalMs,
    containerPrefix, decodeConfig: (stored, release) => cipher.decryptMap(stored, aad.releaseConfig(release)), lookupHost, logger: log,
    oneOffsPerAccount: config.oneOffsPerAccount,
  });
  // Before any dyno launches: slug unpacks a killed platform left half-done.
  const swept = await sweepUnpackLeftovers(join(config.dataDir, 'slugs'));
  if (swept > 0) say(`Removed ${swept} unfinished slug unpack${swept === 1 ? '' : 's'} left by a stopped platform.`);
  const housekeeping = new Housekeeping({ db, blobs, dataDir: config.dataDir, keep: config.releasesKept, graceMs: config.slugGraceMs, inUse: () => dynos.slugsInUse(), logger: log });
  // App webhooks: events of an app go to its subscribed receivers (egress-guarded, signed, retried).
  const webhooks = new Webhooks({
    db, egress: config.allowPrivateTargets, sealer: cipher, retryBaseMs: config.webhookRetryBaseMs, maxAttempts: config.webhookAttempts, logger: log,
  });
  const releaseEvent = async (appId: string, row: ReleaseRow) => {
    const found = await apps.find(appId).catch(() => undefined);
    if (!found) return;
    const app = { id: found.id, name: found.name };
    const actor = (await accounts.users([row.user_id])).get(row.user_id) ?? { id: row.user_id, email: '' };
    await webhooks.emit(app, 'api:release', 'create', releaseShape(app, row, actor, true, { outputStreamUrl: null, eligibleForRollback: true }), actor);
  };
  const releases = new Releases({
    db, logs, cipher, blobs, outputs: releaseOutputs, releaseTimeoutMs: config.releaseTimeoutMs, logger: log,
    runReleaseCommand: (r) => dynos.oneOffs.runReleaseCommand({ ...r, releaseId: r.release.id }),
    // A release going live: the dyno manager makes the formation follow it and replaces the dynos.
    onRelease: async (appId, release) => { await dynos.goLive(appId, release); housekeeping.schedule(); void releaseEvent(appId, release).catch(() => undefined); },
    // A rollback leaves add-ons' vars as they are now: add-ons are not rolled back.
    managedKeys: (appId) => managedKeys(db, cipher, appId),
  });
  await releases.recover();
  // Add-on servers come up before any dyno that may connect to them, and go down after the last one.
  const addons = new Addons({
    db, releases, blobs, dir: join(config.dataDir, 'addons'), id: containerPrefix, pool: config.addonsPool,
    checkIntervalMs: config.addonsCheckIntervalMs, sealer: cipher, logger: log,
  });
  await addons.start();
  const urls = { domain: config.domain, routerPort: config.routerPort };
  // Past the data disk's high-water mark, builds and slug uploads are refused; dynos and logs go on.
  const diskFull = async () => overHighWater(await diskUse(config.dataDir), config.diskHighWater);
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
    configVars: (appId) => releases.configVars(appId),
  });
  await builder.cleanup();
  const repos = new Repos(join(config.dataDir, 'repos'));
  const apps = new Apps({
    db, stack: runtime.stack, repos, dynos, addons, maxPerAccount: config.appsPerAccount,
    forget: (appId) => { logs.forget(appId); drains.forget(appId); },
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
    onBuildEnded: (app, b, user) => void webhooks.emit(app, 'api:build', 'update', buildShape(app, b, user, null), user),
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
  await appSetups.recover();
  const scheduler = new Scheduler({
    db, minuteMs: config.schedulerMinuteMs, logger: log,
    // Its own one-off budget per app (SLIPWAY_ONE_OFFS_PER_ACCOUNT), apart from the owner's `run`s.
    run: (appId, command, size) => dynos.oneOffs.run(appId, command, `scheduler:${appId}`, { type: 'scheduler', size }),
    log: (appId, message) => logs.emit(appId, 'heroku', 'scheduler', message),
  });
  const pipelines = new Pipelines({ db, releases, logger: log });
  await pipelines.recover();
  const reviewApps = new ReviewApps({
    db, dataDir: config.dataDir, pipelines, appSetups, staleMs: config.reviewAppStaleMs, logger: log,
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
  const sniEndpoints = new SniEndpoints({ db, sealer: cipher, table: certs, check: inspectCertificate });
  await sniEndpoints.publish();
  const domains = new Domains({ db, domain: config.domain, routes: dynos, certs: sniEndpoints });
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
  const { server: apiServer, app: fastify } = await createApiServer({
    deps: {
      rendezvous, routerMetrics, routerMetricsStore, dynoMetrics, addons, accounts, sshKeys, apps, access, teams,
      authorizations: new Authorizations({ db }), collaborators: new Collaborators({ db, maxPerAccount: config.appsPerAccount }),
      loginThrottle: throttles.login, rateLimiter: throttles.rate, domains, sniEndpoints,
      features: new Features({ db, dynos }), buildpacks: buildpackInstallations, builds: new BuildRecords({ db }),
      slugs: new SlugRecords({ db, stack: runtime.stack, blobs }),
      releases, dynos, builder, deployer, repos, logs, blobs, cipher, releaseOutputs, buildOutputs, housekeeping,
      publicUrl: config.publicUrl, domain: config.domain, diskFull,
      routerPort: config.routerPort, stack: runtime.stack,
      logSessions: { create: (appId, o) => logs.createSession(appId, o) },
      drains, appSetups, pipelines, webhooks, scheduler,
    },
    git, push, dataDir: config.dataDir, logger: log,
    dashboard: new Dashboard({ db, assetsDir: join(ROOT, 'dist', 'dashboard'), secure: config.publicUrl.startsWith('https:'), logger: log }),
    health: health.endpoints, onAnswered: (method, status, seconds) => health.metrics.apiRequest(method, status, seconds),
    sessionStream: (req, res, id) => void logs.handleSessionRequest(req, res, id),
  });
  // The data path: HAProxy in front (when installed, or SLIPWAY_ROUTER=haproxy), the Node router behind
  // it on a private socket for what HAProxy cannot decide; or the Node router alone on the port.
  const engine = config.routerEngine === 'auto' ? (await haproxyAvailable() ? 'haproxy' : 'node') : config.routerEngine;
  const routerDir = join(config.dataDir, 'router');
  const fallbackSocket = engine === 'haproxy' ? await prepareJail(routerDir) : '';
  await housekeeping.start();
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

  // The API port takes TLS too (the official CLI's git remotes are https on the API's host:port).
  const apiListener = plainAndTls(apiServer, { cert: tls.cert, key: tls.key, onTlsError: (err) => log.debug({ component: 'api' }, `TLS handshake failed: ${err.message}`) });
  await listen(apiListener, config.apiPort, 'API');
  await rendezvous.listen();
  await gitSsh?.listen();
  await router.listen();
  await haproxy?.start();
  await dynos.start();
  webhooks.start();
  scheduler.start();
  reviewApps.start(async (appId) => {
    const app = await apps.find(appId).catch(() => undefined);
    return app && (await accounts.users([app.owner_id])).get(app.owner_id);
  });
  const backups = config.backupSchedule && scheduleBackups(config, config.backupSchedule, log);
  say(recoveryLine(await recovered(db)));
  say(`Slipway is running (runtime: ${runtime.name}, stack: ${runtime.stack}).`);
  say(`  API and git:  ${config.publicUrl}   (git remote: ${config.publicUrl}/<app>.git; https on the same port, git config http.sslCAInfo ${tls.caFile})`);
  say(`  Apps:         ${webUrl(urls, '<app>')}   (router: ${engine === 'haproxy' ? 'HAProxy, Node router behind it' : 'Node'})`);
  if (gitSsh) say(`  git over SSH: port ${gitSsh.port}   (git remote: git@${new URL(config.publicUrl).hostname}:<app>.git; ssh -p ${gitSsh.port})`);
  say(`  run attaches: ${rendezvous.url}   (heroku CLI: NODE_EXTRA_CA_CERTS=${tls.caFile})`);
  say(`  Data:         ${config.dataDir}`);

  let stopping: Promise<void> | undefined;
  return {
    config,
    stop: () => {
      stopping ??= (async () => {
        say('Stopping: dynos get SIGTERM, then SIGKILL after the grace period...');
        await backups?.stop();
        await haproxy?.close();
        housekeeping.stop();
        await router.close();
        await webhooks.stop();
        await scheduler.stop();
        reviewApps.stop();
        await pipelines.stop();
        clearInterval(metricsTimer);
        routerMetrics.flush(true);
        dynoMetrics.flush(true);
        await rendezvous.close();
        await gitSsh?.close();
        // Builds in flight are abandoned (their pushes are declined); their containers go first.
        await runtime.cleanup(`${containerPrefix}build-`);
        await dynos.shutdown();
        await addons.stop();
        apiListener.close();
        apiServer.closeAllConnections?.();
        await fastify.close().catch(() => undefined);
        await throttles.stop();
        // The dynos' last lines still go out to the drains, for a moment.
        await drains.close(2000);
        logs.close();
        await store.close();
        say('Stopped.');
      })();
      return stopping;
    },
  };
}

/** The `slipway server` command. */
export async function runServer(_argv: string[]): Promise<void> {
  let config: PlatformConfig;
  // Until the log's own settings are read, a mistake in them is told in the default format.
  let log = createLogger({ format: process.env.SLIPWAY_LOG_FORMAT === 'json' ? 'json' : 'text' });
  try {
    log = createLogger(loadLogConfig());
    receiveOperatorKey();
    config = loadConfig();
    confineEnvironment();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
  let platform: Platform;
  keepServingOnFaults(log);
  try {
    platform = await startPlatform(config, log);
  } catch (err) {
    log.fatal(`Slipway could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`Second ${sig}: exiting now; containers left running are cleaned up at the next start.`);
      process.exit(1);
    }
    void platform.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'Stopping failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
