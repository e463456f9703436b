// `slipway server`: the composition root. Reads the config, builds every component and wires them
// together (receive → build → release → reconcile → route), then runs until SIGTERM / ctrl-C, when it
// stops every dyno (SIGTERM, grace period, SIGKILL) and leaves no container behind.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureOperator } from '../api/auth.ts';
import { webUrl } from '../api/deps.ts';
import { createApiServer } from '../api/server.ts';
import { Addons } from '../addons/index.ts';
import { Builder } from '../build/index.ts';
import { DynoManager } from '../dynos/manager.ts';
import { GitHttp } from '../git/http.ts';
import { PushHandler } from '../git/push.ts';
import { Repos } from '../git/repos.ts';
import { authenticate } from '../api/auth.ts';
import { Drains, Logplex } from '../logs/index.ts';
import { attachmentVars } from '../addons/catalog.ts';
import { ConfigCipher, Releases, type ReleaseRow } from '../releases/index.ts';
import type { FormationEntry } from '../build/appjson.ts';
import { Housekeeping } from '../releases/housekeeping.ts';
import { OutputStore } from '../releases/output.ts';
import { CertTable, HaproxyController, haproxyAvailable, KEEP_MINUTES, MINUTE, Router, RouterMetrics } from '../router/index.ts';
import { createRuntime } from '../runtime/index.ts';
import { BlobStore } from '../slugs/index.ts';
import { openStore } from '../store/index.ts';
import { ConfigError, loadConfig, type PlatformConfig } from './config.ts';
import { ensureServerCert } from './tls.ts';
import { Rendezvous } from '../api/rendezvous.ts';
import { hostname } from 'node:os';
import { listen } from './listen.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Platform {
  config: PlatformConfig;
  stop(): Promise<void>;
}

/** Starts everything; resolves once the API and router are listening. */
export async function startPlatform(config: PlatformConfig, say: (line: string) => void = (l) => console.log(l)): Promise<Platform> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = openStore(join(config.dataDir, 'slipway.db'));
  const db = store.db;

  const op = await ensureOperator(db, config.operatorEmail, config.operatorKey, () => randomBytes(24).toString('hex'));
  const keyFile = join(config.dataDir, 'operator.key');
  if (op.key || (config.operatorKey && !existsSync(keyFile))) {
    await writeFile(keyFile, `${op.key ?? config.operatorKey}\n`, { mode: 0o600 });
    await chmod(keyFile, 0o600);
  }
  if (op.created && op.key && !config.operatorKey) {
    say(`Created the operator account ${config.operatorEmail}. Its API key (shown once; also in ${keyFile}):`);
    say(`    ${op.key}`);
  }

  const runtime = createRuntime({
    kind: config.runtime, stackDir: config.stackDir, stateDir: join(config.dataDir, 'runtime'),
    addressPool: config.dynoPool, firewallChainPrefix: config.firewallPrefix,
    openTargets: [config.addonsPool], allowPrivate: config.allowPrivateTargets,
  });
  // Every container of this platform is named with this prefix; other platforms on the machine (a test
  // suite beside a running one) have their own, so cleaning up ours never touches theirs.
  const containerPrefix = `slipway-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8)}-`;
  await runtime.cleanup(containerPrefix);
  await runtime.prepare((line) => say(`stack: ${line}`));

  const logs = new Logplex();
  const drains = new Drains({ db, logs, egress: config.allowPrivateTargets });
  await drains.start();
  const blobs = new BlobStore({ dir: join(config.dataDir, 'blobs') });
  const cipher = await ConfigCipher.open(join(config.dataDir, 'secrets', 'config.key'));
  const releaseOutputs = new OutputStore(join(config.dataDir, 'output', 'releases'));
  const buildOutputs = new OutputStore(join(config.dataDir, 'output', 'builds'));
  const dynos = new DynoManager({
    db, runtime, logs, blobs, dataDir: config.dataDir, domain: config.domain, bootTimeoutMs: config.bootTimeoutMs,
    stopGraceMs: config.stopGraceMs, crashBackoffMinuteMs: config.crashBackoffMinuteMs, cycleMs: config.cycleMs,
    cycleJitterMs: config.cycleJitterMs, idleAfterMs: config.idleAfterMs, hangupIntervalMs: config.hangupIntervalMs, metricsIntervalMs: config.metricsIntervalMs,
    containerPrefix, decodeConfig: (stored) => cipher.decryptMap(stored),
  });
  const housekeeping = new Housekeeping({ db, blobs, dataDir: config.dataDir, keep: config.releasesKept, graceMs: config.slugGraceMs, say: (l) => say(`housekeeping: ${l}`) });
  const releases = new Releases({
    db, logs, cipher, blobs, outputs: releaseOutputs, releaseTimeoutMs: config.releaseTimeoutMs,
    runReleaseCommand: (r) => dynos.runReleaseCommand({ ...r, releaseId: r.release.id }),
    onRelease: (appId, release) => goLive(appId, release),
    // A rollback leaves add-ons' vars as they are now: add-ons are not rolled back.
    managedKeys: async (appId) => {
      const rows = await db.selectFrom('addon_attachments').innerJoin('addons', 'addons.id', 'addon_attachments.addon_id')
        .select(['addon_attachments.name', 'addons.config']).where('addon_attachments.app_id', '=', appId).execute();
      return new Set(rows.flatMap((r) => Object.keys(attachmentVars(r.name, JSON.parse(r.config) as Record<string, string>))));
    },
  });
  // A release going live: the formation follows its slug's process types (first, so a failed release
  // never touched it), then the dyno manager replaces the dynos. One app's releases go live in order.
  const firstFormation = new Map<string, Record<string, FormationEntry>>(); // app.json's, by slug id
  const goingLive = new Map<string, Promise<void>>();
  function goLive(appId: string, release: ReleaseRow): Promise<void> {
    const step = (goingLive.get(appId) ?? Promise.resolve()).then(async () => {
      const slug = release.slug_id ? await db.selectFrom('slugs').select('process_types').where('id', '=', release.slug_id).executeTakeFirst() : undefined;
      if (slug) await dynos.syncFormation(appId, JSON.parse(slug.process_types), firstFormation.get(release.slug_id!));
      dynos.released(appId);
      housekeeping.schedule();
    }).catch((err) => console.error(`release v${release.version} of app ${appId}: going live failed:`, err));
    goingLive.set(appId, step);
    void step.then(() => { if (goingLive.get(appId) === step) goingLive.delete(appId); });
    return step;
  }
  await releases.recover();
  // Add-on servers come up before any dyno that may connect to them, and go down after the last one.
  const addons = new Addons({
    db, releases, blobs, dir: join(config.dataDir, 'addons'), id: containerPrefix, pool: config.addonsPool,
    checkIntervalMs: config.addonsCheckIntervalMs, say,
  });
  await addons.start();
  const urls = { domain: config.domain, routerPort: config.routerPort };
  const builder = new Builder({
    db, runtime, blobs, logs, dataDir: config.dataDir, builtinRoot: join(ROOT, 'buildpacks'),
    runtimeCacheDir: config.runtimeCacheDir, timeoutMs: config.buildTimeoutMs, containerPrefix, webUrl: (name) => webUrl(urls, name),
    release: async ({ appId, user, slug, description, formation }) => {
      firstFormation.set(slug.id, formation);
      const r = await releases.create({ appId, user, slugId: slug.id, description });
      void releases.settled(r).then(() => firstFormation.delete(slug.id));
      return { id: r.id, version: r.version, pending: r.status === 'pending' };
    },
    configVars: (appId) => releases.configVars(appId),
    // A push's build output goes where the Builds API's goes (that route records its own builds).
    recordOutput: (id) => {
      if (buildOutputs.isLive(id)) return { write: () => undefined, end: async () => undefined };
      const opened = buildOutputs.open(id);
      return {
        write: (text) => void opened.then(() => buildOutputs.write(id, text)),
        end: async () => { await opened; await buildOutputs.close(id); },
      };
    },
  });
  await builder.cleanup();
  const repos = new Repos(join(config.dataDir, 'repos'));
  const git = new GitHttp({
    repos,
    authenticate: (req) => authenticate(db, req),
    findApp: (name) => db.selectFrom('apps').select(['id', 'name']).where('name', '=', name).executeTakeFirst(),
    hookUrl: `http://127.0.0.1:${config.apiPort}/internal/hooks/pre-receive`,
  });
  const push = new PushHandler({
    git, repos, builder, remoteName: 'slipway',
    followRelease: async (id, out) => {
      await releaseOutputs.follow(id, out);
      return releases.settled({ id });
    },
  });
  // One certificate from the platform's CA for the API's rendezvous and the router's default TLS host.
  const tls = await ensureServerCert(join(config.dataDir, 'tls'), [new URL(config.publicUrl).hostname, 'localhost', '127.0.0.1', hostname(), config.domain, `*.${config.domain}`]);
  const rendezvous = new Rendezvous({
    port: config.rendezvousPort ?? config.apiPort + 1, fallbackToAny: config.rendezvousPort === undefined, publicHost: new URL(config.publicUrl).hostname, key: tls.key, cert: tls.cert,
    caPem: await readFile(tls.caFile, 'utf8'), attachTimeoutMs: config.attachTimeoutMs,
  });
  // Certificates of custom domains (SNI endpoints) the router serves, from the store.
  const certs = new CertTable();
  const attached = await db.selectFrom('domains').select(['hostname', 'sni_endpoint_id']).execute();
  for (const e of await db.selectFrom('sni_endpoints').selectAll().execute()) {
    certs.set({ name: e.name, pem: `${e.certificate_chain.trim()}\n${e.private_key.trim()}\n`, hostnames: attached.filter((x) => x.sni_endpoint_id === e.id).map((x) => x.hostname) });
  }
  // Router metrics: finished minutes go to the store, which keeps the last 24 hours.
  const routerMetrics = new RouterMetrics({
    persist: (appId, m) => void db.insertInto('router_metrics').values({ app_id: appId, minute: m.minute, data: JSON.stringify(m) })
      .onConflict((oc) => oc.columns(['app_id', 'minute']).doUpdateSet({ data: JSON.stringify(m) })).execute()
      // An app destroyed within the minute has nothing left to store it under.
      .catch((err) => { if (!/FOREIGN KEY/.test(err.message)) console.error('router metrics: storing a minute failed:', err.message); }),
  });
  const metricsTimer = setInterval(() => {
    routerMetrics.flush();
    void db.deleteFrom('router_metrics').where('minute', '<', new Date(Date.now() - KEEP_MINUTES * MINUTE).toISOString()).execute().catch(() => undefined);
  }, 10_000);
  const recordRequest = (appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined) => routerMetrics.record(appId, status, ms, bytes);
  const { server: apiServer, app: fastify } = await createApiServer({
    deps: {
      rendezvous, certs, routerMetrics, addons,
      db, releases, dynos, builder, repos, logs, push, blobs, cipher, releaseOutputs, buildOutputs, housekeeping,
      publicUrl: config.publicUrl, domain: config.domain,
      routerPort: config.routerPort, stack: runtime.stack,
      logSessions: { create: (appId, o) => logs.createSession(appId, o), forget: (appId) => logs.forget(appId) },
      drains,
    },
    git, push, dataDir: config.dataDir,
    sessionStream: (req, res, id) => void logs.handleSessionRequest(req, res, id),
  });
  // The data path: HAProxy in front (when installed, or SLIPWAY_ROUTER=haproxy), the Node router behind
  // it on a private socket for what HAProxy cannot decide; or the Node router alone on the port.
  const engine = config.routerEngine === 'auto' ? (await haproxyAvailable() ? 'haproxy' : 'node') : config.routerEngine;
  const routerDir = join(config.dataDir, 'router');
  const fallbackSocket = join(routerDir, 'fallback.sock');
  if (engine === 'haproxy') {
    await mkdir(routerDir, { recursive: true });
    await rm(fallbackSocket, { force: true });
  }
  await housekeeping.start();
  const router = new Router({
    port: config.routerPort, domain: config.domain, routes: dynos, logs,
    requestTimeoutMs: config.routerRequestTimeoutMs, bootHoldMs: config.routerBootHoldMs, clientKeepAliveMs: config.routerClientTimeoutMs,
    onRequest: recordRequest,
    ...(engine === 'haproxy' ? { socketPath: fallbackSocket, behindProxy: true } : {}),
  });
  const haproxy = engine === 'haproxy' ? new HaproxyController({
    tls: config.routerTlsPort ? { port: config.routerTlsPort, defaultPem: `${tls.cert.trim()}\n${tls.key.trim()}\n`, certs } : undefined,
    onRequest: recordRequest,
    threads: config.routerThreads || undefined, dir: routerDir, listen: { host: '0.0.0.0', port: config.routerPort }, domain: config.domain, routes: dynos, logs, fallbackSocket,
    timeouts: { connectMs: config.routerConnectTimeoutMs, backlogPerDyno: config.routerBacklog, queueMs: 1, serverMs: config.routerRequestTimeoutMs, idleMs: config.routerIdleTimeoutMs, clientKeepAliveMs: config.routerClientTimeoutMs },
  }) : undefined;

  await listen(apiServer, config.apiPort, 'API');
  await rendezvous.listen();
  await router.listen();
  await haproxy?.start();
  await dynos.start();
  say(`Slipway is running (runtime: ${runtime.name}, stack: ${runtime.stack}).`);
  say(`  API and git:  ${config.publicUrl}   (git remote: ${config.publicUrl}/<app>.git)`);
  say(`  Apps:         ${webUrl(urls, '<app>')}   (router: ${engine === 'haproxy' ? 'HAProxy, Node router behind it' : 'Node'})`);
  say(`  run attaches: ${rendezvous.url}   (heroku CLI: NODE_EXTRA_CA_CERTS=${tls.caFile})`);
  say(`  Data:         ${config.dataDir}`);

  let stopping: Promise<void> | undefined;
  return {
    config,
    stop: () => {
      stopping ??= (async () => {
        say('Stopping: dynos get SIGTERM, then SIGKILL after the grace period...');
        await haproxy?.close();
        housekeeping.stop();
        await router.close();
        clearInterval(metricsTimer);
        routerMetrics.flush(true);
        await rendezvous.close();
        // Builds in flight are abandoned (their pushes are declined); their containers go first.
        await runtime.cleanup(`${containerPrefix}build-`);
        await dynos.shutdown();
        await addons.stop();
        apiServer.closeAllConnections?.();
        await fastify.close().catch(() => undefined);
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
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(` ▸    ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  let platform: Platform;
  try {
    platform = await startPlatform(config);
  } catch (err) {
    console.error(` ▸    Slipway could not start: ${(err as Error).message}`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      console.error(`Second ${sig}: exiting now; containers left running are cleaned up at the next start.`);
      process.exit(1);
    }
    void platform.stop().then(() => process.exit(0), (err) => {
      console.error('Stopping failed:', err);
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
