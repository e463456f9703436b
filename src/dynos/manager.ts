// The dyno manager: one reconcile loop per app. Desired = formation × current release; actual = the
// running dynos. Every trigger (new release, scale, restart, crash) only wakes the loop, which starts
// what is missing and stops what is not wanted. Also the router's read-only view of web dynos.
import { randomInt, randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LogSink } from '../logs/types.ts';
import { lookupHost } from '../router/hosts.ts';
import type { AppRoute, RouteSnapshotApp, RouteTable } from '../router/types.ts';
import type { Runtime } from '../runtime/types.ts';
import { BlobStore, unpackSlug } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import { crashRestartDelayMs } from './backoff.ts';
import { Dyno } from './dyno.ts';
import { Preboot } from './preboot.ts';
import { DEFAULT_SIZE, sizeOrDefault } from './sizes.ts';
import { Sampler } from './sampler.ts';

export interface DynoManagerOptions {
  db: Db;
  runtime: Runtime;
  logs: LogSink;
  blobs: BlobStore;
  /** Unpacked slugs live under here, one dir per slug blob, shared by every dyno that runs it. */
  dataDir: string;
  domain: string;
  bootTimeoutMs: number;
  stopGraceMs: number;
  /** Scales the crash back-off's minutes (tests shorten it). */
  crashBackoffMinuteMs: number;
  /** Daily cycling: a dyno is restarted this long after it started, plus up to `cycleJitterMs`. */
  cycleMs: number;
  cycleJitterMs: number;
  /** An app on a single eco web dyno sleeps after this long without a request. */
  idleAfterMs: number;
  /** Between SIGHUP notices to an attached one-off whose client hung up (R16 after three). */
  hangupIntervalMs?: number;
  /** Preboot: how long old web dynos keep serving after the switch before their SIGTERM. Default 5 s. */
  prebootDrainMs?: number;
  /** Memory (R14) and runtime-metrics sampling period (Heroku: about 20 s). */
  metricsIntervalMs: number;
  /** Container ids of this platform start with it, so cleanups never touch another platform's. */
  containerPrefix: string;
  /** A release's stored config snapshot → its vars (the releases component encrypts them at rest). */
  decodeConfig: (stored: string, release: { app_id: string; id: string }) => Record<string, string>;
}

/** App features (labs) the dyno manager acts on. */
export const FEATURES = ['log-runtime-metrics', 'runtime-dyno-metadata', 'preboot'] as const;

interface AppEntry {
  id: string;
  name: string;
  dynos: Map<string, Dyno>;
  /** Consecutive crashes per dyno name, reset by a successful boot, a release or a restart. */
  crashes: Map<string, number>;
  restartTimers: Map<string, NodeJS.Timeout>;
  /** Web dynos the formation asks for on the current release (0 → the router answers H14). */
  webQuantity: number;
  /** Size of the web process type (idling applies to eco only). */
  webSize: string;
  /** When the router last routed a request to this app (idling). */
  lastRequestAt: number;
  features: Set<string>;
  /** Maintenance mode: the router answers H80 and sends nothing to the dynos. */
  maintenance: boolean;
  /** The app's own error and maintenance pages, from the current release's config vars. */
  pages: { errorPageUrl?: string; maintenancePageUrl?: string };
  running: boolean;
  again: boolean;
}

export class DynoManager implements RouteTable {
  private readonly apps = new Map<string, AppEntry>();
  private readonly byName = new Map<string, string>();
  /** Custom domains (`domains:add`): hostname → app id. */
  private readonly domains = new Map<string, string>();
  private shuttingDown = false;
  private housekeeping?: NodeJS.Timeout;
  private readonly sampler: Sampler;
  /** Per dyno incarnation: when it is due for its daily cycle. */
  private readonly cycleAt = new WeakMap<Dyno, number>();
  private readonly listeners = new Set<() => void>();

  private readonly preboot: Preboot;

  constructor(private readonly o: DynoManagerOptions) {
    this.sampler = new Sampler({
      apps: () => this.apps.values(),
      log: (appId, dyno, line) => { const app = this.apps.get(appId); if (app) this.log(app, dyno, line); },
      intervalMs: o.metricsIntervalMs,
    });
    this.preboot = new Preboot({
      webDynos: (id) => [...(this.apps.get(id)?.dynos.values() ?? [])].filter((d) => d.spec.type === 'web' && !d.spec.oneOff),
      webQuantity: (id) => this.apps.get(id)?.webQuantity ?? 0,
      changed: () => this.changed(),
    }, { switchAfterMs: o.bootTimeoutMs + 15_000, drainMs: o.prebootDrainMs ?? 5000 });
  }

  /** Loads every app and converges each to its desired state (platform start). */
  async start(): Promise<void> {
    const apps = await this.o.db.selectFrom('apps').select(['id', 'name', 'maintenance']).execute();
    for (const a of apps) this.track(a.id, a.name);
    for (const a of apps) this.apps.get(a.id)!.maintenance = a.maintenance === 1;
    for (const d of await this.o.db.selectFrom('domains').select(['app_id', 'hostname']).execute()) this.domains.set(d.hostname, d.app_id);
    const features = await this.o.db.selectFrom('app_features').selectAll().execute();
    for (const f of features) this.apps.get(f.app_id)?.features.add(f.name);
    for (const a of apps) this.wake(a.id);
    // One timer for idling and cycling checks, one for memory samples; both end in shutdown().
    const every = Math.max(50, Math.min(60_000, this.o.idleAfterMs / 4, this.o.cycleMs / 4));
    this.housekeeping = setInterval(() => this.housekeep(), every);
    this.sampler.start();
  }

  /** The app's features changed (`features:enable log-runtime-metrics` ...). */
  setFeatures(appId: string, names: string[]): void {
    const app = this.apps.get(appId);
    if (app) app.features = new Set(names);
  }

  track(id: string, name: string): void {
    if (this.apps.has(id)) return;
    this.apps.set(id, { id, name, dynos: new Map(), crashes: new Map(), restartTimers: new Map(), webQuantity: 0, webSize: 'standard-1x', lastRequestAt: Date.now(), features: new Set(), maintenance: false, pages: {}, running: false, again: false });
    this.changed();
    this.byName.set(name, id);
  }

  /** The app's name changed: the router finds it under the new one from now on. */
  renamed(id: string, name: string): void {
    const app = this.apps.get(id);
    if (!app) return;
    this.byName.delete(app.name);
    app.name = name;
    this.byName.set(name, id);
    this.changed();
  }

  /** `maintenance:on/off`: the router answers H80 while on; dynos keep running. */
  setMaintenance(id: string, on: boolean): void {
    const app = this.apps.get(id);
    if (!app || app.maintenance === on) return;
    app.maintenance = on;
    this.changed();
  }

  /** The app's custom domains changed: the router answers them for it from now on. */
  setDomains(appId: string, hostnames: string[]): void {
    for (const [h, id] of this.domains) if (id === appId) this.domains.delete(h);
    for (const h of hostnames) this.domains.set(h.toLowerCase(), appId);
    this.changed();
  }

  /** Called (synchronously, coalesce yourself) whenever what the router sees may have changed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every app with its up web dynos, for a data path that keeps its own copy (HAProxy). Side-effect free. */
  routeSnapshot(): RouteSnapshotApp[] {
    const domains = new Map<string, string[]>();
    for (const [h, id] of this.domains) domains.set(id, [...(domains.get(id) ?? []), h]);
    return [...this.apps.values()].map((app) => ({
      id: app.id, name: app.name, maintenance: app.maintenance, domains: (domains.get(app.id) ?? []).sort(),
      up: this.upTargets(app), errorPageUrl: app.pages.errorPageUrl,
    }));
  }

  /** Where web requests go: the up web dynos, or while a preboot runs, the old ones still serving. */
  private upTargets(app: AppEntry): { dyno: string; host: string; port: number }[] {
    const serving = this.preboot.serving(app.id) ?? [...app.dynos.values()].filter((d) => d.spec.type === 'web' && !d.spec.oneOff);
    return serving.filter((d) => d.state === 'up' && !d.leavingRoutes && d.spec.port && d.address).map((d) => ({ dyno: d.name, host: d.address!, port: d.spec.port! }));
  }

  /** The data path saw a request for the app (keeps an eco app awake). */
  touched(appId: string): void {
    const app = this.apps.get(appId);
    if (app) app.lastRequestAt = Date.now();
  }

  private changed(): void {
    for (const l of this.listeners) {
      try { l(); } catch (err) { console.error('dyno manager: change listener failed:', err); }
    }
  }

  /** Stops every dyno of the app and forgets it (the app is being destroyed). */
  async untrack(id: string): Promise<void> {
    const app = this.apps.get(id);
    if (!app) return;
    this.apps.delete(id);
    this.byName.delete(app.name);
    for (const [h, appId] of this.domains) if (appId === id) this.domains.delete(h);
    this.changed();
    await this.preboot.stopAll(id);
    for (const t of app.restartTimers.values()) clearTimeout(t);
    await Promise.all([...app.dynos.values()].map((d) => d.stop()));
  }

  /** Ask the loop to reconcile the app soon; concurrent wakes coalesce into one more pass. */
  wake(appId: string): void {
    const app = this.apps.get(appId);
    if (!app || this.shuttingDown) return;
    if (app.running) { app.again = true; return; }
    app.running = true;
    void (async () => {
      try {
        do {
          app.again = false;
          // A failed pass is reported and does not swallow a wake that arrived meanwhile.
          await this.reconcile(app).catch((err) => console.error(`dyno manager: reconciling ${app.name} failed:`, err));
        } while (app.again && !this.shuttingDown);
      } finally {
        app.running = false;
      }
    })();
  }

  /**
   * Keeps the formation in step with a new slug's process types: the first deploy gets app.json's
   * formation, else web=1 (when there is a web type) and every other type at 0; later deploys keep quantities as scaled, add new
   * types at 0 and drop types the slug no longer has.
   */
  async syncFormation(appId: string, processTypes: Record<string, string>, initial: Record<string, { quantity: number; size?: string }> = {}): Promise<void> {
    const { db } = this.o;
    await db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('formation').select(['id', 'type']).where('app_id', '=', appId).execute();
      const first = rows.length === 0;
      const t = new Date().toISOString();
      for (const type of Object.keys(processTypes)) {
        // `release` gets a row too (at 0: it runs per release, never as formation), as on Heroku, so
        // `ps:type release=...` sizes the release phase's dyno.
        if (rows.some((r) => r.type === type)) continue;
        // The first deploy takes app.json's formation where it names the type, else web=1 and others 0.
        const fromAppJson = first ? initial[type] : undefined;
        const quantity = fromAppJson ? fromAppJson.quantity : first && type === 'web' ? 1 : 0;
        await trx.insertInto('formation').values({
          id: randomUUID(), app_id: appId, type, quantity, size: fromAppJson?.size ?? DEFAULT_SIZE, created_at: t, updated_at: t,
        }).execute();
      }
      const gone = rows.filter((r) => !(r.type in processTypes)).map((r) => r.id);
      if (gone.length) await trx.deleteFrom('formation').where('id', 'in', gone).execute();
    });
  }

  /** A new release resets crash counters (Heroku's policy) and replaces every formation dyno. */
  released(appId: string): void {
    const app = this.apps.get(appId);
    if (!app) return;
    app.crashes.clear();
    for (const t of app.restartTimers.values()) clearTimeout(t);
    app.restartTimers.clear();
    this.wake(appId);
  }

  /** Restart all dynos, one process type, or one dyno (`web`, `web.1`). Returns how many were restarted. */
  restart(appId: string, target?: string): number {
    const app = this.apps.get(appId);
    if (!app) return 0;
    const chosen = [...app.dynos.values()].filter((d) => !d.spec.oneOff && (!target || d.name === target || d.spec.type === target));
    for (const d of chosen) {
      app.crashes.delete(d.name);
      if (d.state === 'crashed') {
        // Nothing to stop: drop the crashed dyno and its pending back-off, and boot it again now.
        clearTimeout(app.restartTimers.get(d.name));
        app.restartTimers.delete(d.name);
        app.dynos.delete(d.name);
        continue;
      }
      d.restartRequested = true;
      this.log(app, d.name, 'Restarting');
      void d.stop();
    }
    this.wake(appId);
    return chosen.length;
  }

  /**
   * Stops one dyno (`web.2`) or every dyno of a process type (`web`); formation dynos are then started
   * again by the loop, as `ps:stop` behaves on Heroku. Returns how many were stopped.
   */
  async stopDynos(appId: string, target: string): Promise<number> {
    const app = this.apps.get(appId);
    if (!app) return 0;
    const chosen = [...app.dynos.values()].filter((d) => d.name === target || d.spec.type === target);
    await Promise.all(chosen.map((d) => d.stop()));
    return chosen.length;
  }

  /** The slug blobs the dynos of every app run on (housekeeping keeps them). */
  slugsInUse(): Set<string> {
    const dynos = [...this.apps.values()].flatMap((a) => [...a.dynos.values(), ...(this.preboot.serving(a.id) ?? [])]);
    return new Set(dynos.map((d) => basename(d.spec.slugDir)));
  }

  dynos(appId: string): Dyno[] {
    const app = this.apps.get(appId);
    return app ? [...app.dynos.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })) : [];
  }

  /** Starts a one-off dyno `run.N` on the current release; its output goes to the log stream. */
  /**
   * Starts a one-off dyno `run.N` on the current release with its config (plus `env`). Detached, it
   * starts now and its output goes to the log stream. Attached, it is listed at once but boots only when
   * its client arrives (`attach()`), so no output is lost; `attachTimedOut()` ends it if none does.
   */
  async runOneOff(appId: string, command: string, user: string, o: OneOffOptions = {}): Promise<Dyno> {
    const app = this.apps.get(appId);
    if (!app) throw new Error('unknown app');
    const release = await this.currentRelease(appId, o.releaseId);
    if (!release) throw new NoReleaseError();
    let name: string;
    const type = o.type ?? 'run';
    do name = `${type}.${randomInt(1000, 10000)}`; while (app.dynos.has(name));
    const withEnv = o.env ? { ...release, config: { ...release.config, ...o.env } } : release;
    return this.launch(app, withEnv, { name, type, command, oneOff: true, size: o.size, startedBy: user, onOutput: o.onOutput }, o.attach === true);
  }

  /**
   * The release phase: `command` in a one-off `release.N` on the given (pending) release, its size the
   * formation's `release` size if scaled (ps:type release=...), stopped after `timeoutMs`. Resolves with
   * the exit status.
   */
  async runReleaseCommand(r: { appId: string; releaseId: string; command: string; user: string; onOutput: (text: string) => void; timeoutMs: number }): Promise<number> {
    const size = (await this.o.db.selectFrom('formation').select('size').where('app_id', '=', r.appId).where('type', '=', 'release').executeTakeFirst())?.size;
    const dyno = await this.runOneOff(r.appId, r.command, r.user, { releaseId: r.releaseId, type: 'release', size, onOutput: r.onOutput });
    const timer = setTimeout(() => {
      const app = this.apps.get(r.appId);
      if (app) this.log(app, dyno.name, `Release command timed out after ${Math.round(r.timeoutMs / 1000)} seconds; stopping it`);
      r.onOutput(` !     The release command ran past its timeout (${Math.round(r.timeoutMs / 1000)} s) and was stopped.\n`);
      void dyno.stop();
    }, r.timeoutMs);
    try {
      const code = await dyno.exitStatus;
      return dyno.stoppedByRequest ? (code === 0 ? 1 : code) : code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The client of an attached one-off has connected: boot it with its terminal. */
  attach(dyno: Dyno, client: { stream: Duplex; tty: boolean; columns?: number; lines?: number }): void {
    void dyno.start(client);
  }

  /** No client came for an attached one-off: R13, and it is gone. */
  attachTimedOut(dyno: Dyno): void {
    const app = this.apps.get(dyno.spec.appId);
    if (!app || app.dynos.get(dyno.name) !== dyno) return;
    this.log(app, dyno.name, 'Error R13 (Attach error) -> Failed to attach to process');
    this.log(app, dyno.name, 'State changed from starting to complete');
    app.dynos.delete(dyno.name);
  }

  /** The router's view; every lookup is a request, which keeps an eco app awake or wakes it. */
  lookup(hostname: string): AppRoute | undefined {
    const suffix = `.${this.o.domain}`;
    const id = (hostname.endsWith(suffix) ? this.byName.get(hostname.slice(0, -suffix.length)) : undefined) ?? lookupHost(this.domains, hostname);
    const app = id ? this.apps.get(id) : undefined;
    if (!app) return undefined;
    app.lastRequestAt = Date.now();
    const web = [...app.dynos.values()].filter((d) => d.spec.type === 'web' && !d.spec.oneOff);
    for (const d of web) if (d.state === 'idle') this.unidle(app, d);
    const up = this.upTargets(app);
    return {
      appId: app.id, appName: app.name, up, maintenance: app.maintenance,
      webQuantity: app.webQuantity, ...app.pages,
      crashed: up.length === 0 && web.length > 0 && web.every((d) => d.state === 'crashed'),
    };
  }

  /** Stops every dyno (SIGTERM, grace period, SIGKILL) and leaves no container behind. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.housekeeping);
    this.sampler.stop();
    const all: Promise<void>[] = [];
    for (const app of this.apps.values()) {
      for (const t of app.restartTimers.values()) clearTimeout(t);
      for (const d of app.dynos.values()) all.push(d.stop());
    }
    all.push(this.preboot.stopAll());
    await Promise.all(all);
  }

  private async reconcile(app: AppEntry): Promise<void> {
    const release = await this.currentRelease(app.id);
    const formation = await this.o.db.selectFrom('formation').selectAll().where('app_id', '=', app.id).execute();
    const processTypes: Record<string, string> = release?.processTypes ?? {};
    const desired = new Map<string, { type: string; command: string; size: string }>();
    for (const f of formation) {
      const command = processTypes[f.type];
      if (!release || !command) continue;
      for (let i = 1; i <= f.quantity; i++) desired.set(`${f.type}.${i}`, { type: f.type, command, size: f.size });
    }
    app.webQuantity = [...desired.values()].filter((d) => d.type === 'web').length;
    const pages = { errorPageUrl: release?.config.ERROR_PAGE_URL || undefined, maintenancePageUrl: release?.config.MAINTENANCE_PAGE_URL || undefined };
    if (pages.errorPageUrl !== app.pages.errorPageUrl || pages.maintenancePageUrl !== app.pages.maintenancePageUrl) {
      app.pages = pages;
      this.changed();
    }
    app.webSize = formation.find((f) => f.type === 'web')?.size ?? 'standard-1x';
    const stops: Promise<void>[] = [];
    // Preboot: up web dynos of an older release keep serving (out of the list) while their successors boot.
    const prebooting = app.features.has('preboot') && release !== undefined && this.preboot.serving(app.id) === undefined;
    const handOver: Dyno[] = [];
    for (const d of [...app.dynos.values()]) {
      if (d.spec.oneOff) continue;
      const want = desired.get(d.name);
      if (prebooting && want && d.spec.type === 'web' && d.state === 'up' && d.spec.release.id !== release!.id) {
        this.replaced.add(d);
        app.dynos.delete(d.name);
        handOver.push(d);
        continue;
      }
      const stale = !want || d.spec.release.id !== release?.id || want.command !== d.spec.command || want.size !== d.spec.size.name;
      if (stale && d.state !== 'crashed') {
        if (want && d.state !== 'down') this.log(app, d.name, 'Restarting');
        stops.push(d.stop());
      } else if (stale) {
        clearTimeout(app.restartTimers.get(d.name));
        app.restartTimers.delete(d.name);
        app.dynos.delete(d.name);
      }
    }
    if (handOver.length > 0) this.preboot.begin(app.id, handOver);
    // Replacements start as soon as the old dynos have been signalled (Heroku's order for restarts).
    for (const [name, want] of desired) {
      const existing = app.dynos.get(name);
      // An asleep dyno of the current release stays asleep until a request wakes it.
      if (existing && existing.spec.release.id === release!.id && existing.spec.command === want.command && existing.spec.size.name === want.size) continue;
      if (app.restartTimers.has(name)) continue;
      await this.launch(app, release!, { name, type: want.type, command: want.command, oneOff: false, size: want.size });
    }
    await Promise.all(stops);
  }

  private async launch(app: AppEntry, release: CurrentRelease, d: { name: string; type: string; command: string; oneOff: boolean; size?: string; startedBy?: string; onOutput?: (line: string) => void }, deferStart = false): Promise<Dyno> {
    const slugDir = join(this.o.dataDir, 'slugs', release.blob);
    await unpackSlug(this.o.blobs.path(release.blob), slugDir);
    const port = d.type === 'web' ? await freePort() : undefined;
    const id = randomUUID();
    const env = app.features.has('runtime-dyno-metadata') ? { ...release.config, ...this.metadata(app, release, id) } : release.config;
    const dyno = new Dyno({ id,
      appId: app.id, appName: app.name, name: d.name, type: d.type, command: d.command, oneOff: d.oneOff,
      release: { id: release.id, version: release.version }, size: sizeOrDefault(d.size), slugDir,
      env, port, startedBy: d.startedBy, onOutput: d.onOutput,
    }, {
      runtime: this.o.runtime, logs: this.o.logs, bootTimeoutMs: this.o.bootTimeoutMs, stopGraceMs: this.o.stopGraceMs,
      containerPrefix: this.o.containerPrefix, hangupIntervalMs: this.o.hangupIntervalMs,
      onStateChange: () => { this.changed(); this.preboot.check(app.id); },
      onExit: (dy, _code, requested) => this.exited(app, dy, requested),
    });
    const previous = app.dynos.get(d.name);
    app.dynos.set(d.name, dyno);
    if (previous && previous !== dyno) this.replaced.add(previous);
    if (!deferStart) await dyno.start();
    this.cycleAt.set(dyno, Date.now() + this.o.cycleMs + Math.random() * this.o.cycleJitterMs);
    return dyno;
  }

  /** Heroku's dyno metadata variables (the `runtime-dyno-metadata` feature). */
  private metadata(app: AppEntry, release: CurrentRelease, dynoId: string): Record<string, string> {
    return {
      HEROKU_APP_ID: app.id, HEROKU_APP_NAME: app.name, HEROKU_APP_DEFAULT_DOMAIN_NAME: `${app.name}.${this.o.domain}`,
      HEROKU_DYNO_ID: dynoId, HEROKU_RELEASE_VERSION: `v${release.version}`,
      HEROKU_RELEASE_CREATED_AT: new Date(release.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(release.commit ? { HEROKU_SLUG_COMMIT: release.commit, HEROKU_BUILD_COMMIT: release.commit } : {}),
      HEROKU_SLUG_DESCRIPTION: release.description, HEROKU_BUILD_DESCRIPTION: release.description,
    };
  }

  /** Wakes a sleeping web dyno: a fresh boot of the same release, the router holding the request meanwhile. */
  private unidle(app: AppEntry, d: Dyno): void {
    if (this.replaced.has(d) || app.dynos.get(d.name) !== d) return;
    this.replaced.add(d);
    this.log(app, d.name, 'Unidling');
    this.log(app, d.name, 'State changed from idle to starting');
    app.dynos.delete(d.name);
    this.wake(app.id);
  }

  /** Idling and daily cycling, checked on one timer. */
  private housekeep(): void {
    if (this.shuttingDown) return;
    const now = Date.now();
    for (const app of this.apps.values()) {
      const web = [...app.dynos.values()].filter((d) => d.spec.type === 'web' && !d.spec.oneOff);
      if (app.webQuantity === 1 && app.webSize === 'eco' && web.length === 1 && web[0]!.state === 'up'
        && now - app.lastRequestAt >= this.o.idleAfterMs) {
        void web[0]!.stop({ idle: true });
        continue;
      }
      for (const d of app.dynos.values()) {
        const due = this.cycleAt.get(d);
        if (due === undefined || now < due || d.state !== 'up') continue;
        this.cycleAt.delete(d);
        this.log(app, d.name, 'Cycling');
        d.restartRequested = true;
        void d.stop();
      }
    }
  }

  /** Dynos whose name was taken over by a replacement while they shut down. */
  private readonly replaced = new WeakSet<Dyno>();

  private exited(app: AppEntry, dyno: Dyno, requested: boolean): void {
    if (this.replaced.has(dyno)) return;
    if (dyno.state === 'idle') return; // asleep: stays listed until a request wakes it
    if (dyno.spec.oneOff || (requested && !dyno.restartRequested)) {
      if (app.dynos.get(dyno.name) === dyno) app.dynos.delete(dyno.name);
      if (!dyno.spec.oneOff) this.wake(app.id);
      return;
    }
    if (requested) {
      // ps:restart: start the replacement straight away.
      if (app.dynos.get(dyno.name) === dyno) app.dynos.delete(dyno.name);
      this.wake(app.id);
      return;
    }
    // A crash: restart per the back-off policy; the crashed dyno stays listed until then.
    const n = (app.crashes.get(dyno.name) ?? 0) + 1;
    app.crashes.set(dyno.name, n);
    const delay = crashRestartDelayMs(n, this.o.crashBackoffMinuteMs);
    dyno.nextRestartAt = new Date(Date.now() + delay);
    const t = setTimeout(() => {
      app.restartTimers.delete(dyno.name);
      if (app.dynos.get(dyno.name) === dyno) app.dynos.delete(dyno.name);
      this.wake(app.id);
    }, delay);
    app.restartTimers.set(dyno.name, t);
  }

  private log(app: AppEntry, dyno: string, message: string): void {
    this.o.logs.emit(app.id, 'heroku', dyno, message);
  }

  /** Process types of the release dynos run (what formation entries' commands are). */
  async processTypes(appId: string): Promise<Record<string, string>> {
    return (await this.currentRelease(appId))?.processTypes ?? {};
  }

  /** The release dynos run (the newest succeeded), or the given one whatever its status. */
  private async currentRelease(appId: string, releaseId?: string): Promise<CurrentRelease | undefined> {
    let q = this.o.db.selectFrom('releases').innerJoin('slugs', 'slugs.id', 'releases.slug_id')
      .select(['releases.id', 'releases.version', 'releases.config', 'releases.created_at', 'releases.description', 'slugs.blob', 'slugs.process_types', 'slugs.commit'])
      .where('releases.app_id', '=', appId);
    q = releaseId ? q.where('releases.id', '=', releaseId) : q.where('releases.status', '=', 'succeeded');
    const r = await q.orderBy('releases.version', 'desc').limit(1).executeTakeFirst();
    if (!r) return undefined;
    return {
      id: r.id, version: r.version, blob: r.blob, config: this.o.decodeConfig(r.config, { app_id: appId, id: r.id }), processTypes: JSON.parse(r.process_types),
      createdAt: r.created_at, description: r.description, commit: r.commit,
    };
  }
}

interface CurrentRelease {
  id: string;
  version: number;
  blob: string;
  config: Record<string, string>;
  processTypes: Record<string, string>;
  createdAt: string;
  description: string;
  commit: string | null;
}

export interface OneOffOptions {
  size?: string;
  env?: Record<string, string>;
  attach?: boolean;
  type?: string;
  /** Run on this release instead of the current one (the release phase runs on the pending release). */
  releaseId?: string;
  onOutput?: (line: string) => void;
}

export class NoReleaseError extends Error {
  constructor() { super('App has no release yet: push code first (git push slipway main).'); }
}

/** Asks the kernel for a free loopback port for a web dyno's $PORT. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
