// The dyno manager: one reconcile loop per app. Desired = formation × current release; actual = the
// listed dynos. Every trigger (a release going live, scale, restart, crash) only wakes the loop, which
// asks the pure decision (reconcile.ts) what to stop, start and hand over, and carries it out. Its other
// jobs have files of their own: the formation (formation.ts), the router's view (route-table.ts),
// idling and cycling (idling.ts), one-off dynos (one-off.ts), preboot (preboot.ts), memory samples
// (sampler.ts).
import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { unpackLayer, unpackSlug } from '../slugs/index.ts';
import type { LeaderNotice } from '../store/leader.ts';
import { newAppEntry, webDynos, type AppEntry } from './app-entry.ts';
import { appStates, followApp } from './app-states.ts';
import { crashRestartDelayMs } from './backoff.ts';
import { currentRelease, dynoMetadata, type CurrentRelease } from './current-release.ts';
import { Dyno } from './dyno.ts';
import { Formation, type FormationRow, type FormationUpdate } from './formation.ts';
import { Idling } from './idling.ts';
import { clusterTargets, convergeCluster, listedDynos, type ListedDyno } from './listed.ts';
import { eachLimited, freePort, START_CONCURRENCY } from './launching.ts';
import { OneOffs } from './one-off.ts';
import { Preboot } from './preboot.ts';
import { planReconcile } from './reconcile.ts';
import { DynoRouteTable } from './route-table.ts';
import { Sampler } from './sampler.ts';
import { findSize, sizeOrDefault } from '../runtime/sizes.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import type { Actor, DynoManagerOptions } from './options.ts';

export { NoReleaseError, OneOffLimitError, type OneOffOptions } from './one-off.ts';

export type { DynoManagerOptions };

/** App features (labs) the dyno manager acts on. */
export const FEATURES = ['log-runtime-metrics', 'runtime-dyno-metadata', 'preboot'] as const;

interface LaunchSpec { name: string; type: string; command: string; oneOff: boolean; size?: string; startedBy?: string; onOutput?: (line: string) => void }

export class DynoManager {
  /** The formation (desired quantities and sizes); its one writer. */
  readonly formation: Formation;
  /** What the router sees (Host → app → up web dynos). */
  readonly routes: DynoRouteTable;
  /** One-off dynos (`run.N`, attached or not) and the release phase's `release.N`. */
  readonly oneOffs: OneOffs;
  private readonly apps = new Map<string, AppEntry>();
  private shuttingDown = false;
  /** start() ran: this process runs the dynos (it leads, store/leader.ts). */
  private started = false;
  get running(): boolean { return this.started; }
  private readonly sampler: Sampler;
  private readonly preboot: Preboot;
  private readonly idling: Idling;

  private readonly goingLive = new Map<string, Promise<void>>();
  /** Dynos whose name was taken over by a replacement while they shut down. */
  private readonly replaced = new WeakSet<Dyno>();

  private readonly logger: Logger;

  constructor(private readonly o: DynoManagerOptions) {
    this.logger = componentLogger(o.logger, 'dynos');
    this.formation = new Formation(o.db);
    const host = { app: (id: string) => this.apps.get(id), apps: () => this.apps.values() };
    const log = (app: AppEntry, dyno: string, line: string) => this.log(app, dyno, line);
    const targets = o.cluster && ((id: string) => clusterTargets(o.cluster!, id));
    this.routes = new DynoRouteTable({ ...host, serving: (id) => this.preboot.serving(id), unidle: (app, d) => this.idling.unidle(app, d), clusterTargets: targets }, o.domain, o.lookupHost, this.logger);
    this.idling = new Idling({
      ...host, log, wake: (id) => this.wake(id), replace: (d) => this.replaced.add(d), isReplaced: (d) => this.replaced.has(d),
    }, { idleAfterMs: o.idleAfterMs, cycleMs: o.cycleMs, cycleJitterMs: o.cycleJitterMs });
    this.oneOffs = new OneOffs({
      ...host, log, release: (id, releaseId) => this.currentRelease(id, releaseId), load: (id) => this.load(id),
      formationSize: (id, type) => this.formation.size(id, type), launch: (app, r, d, defer) => this.launch(app, r, d, defer),
      started: (id, d, user) => o.onChange?.dyno?.(id, d, user),
    }, o.oneOffsPerAccount);
    this.sampler = new Sampler({
      logger: this.logger,
      apps: () => this.apps.values(),
      log: (appId, dyno, line) => { const app = this.apps.get(appId); if (app) this.log(app, dyno, line); },
      intervalMs: o.metricsIntervalMs, onSample: o.onSample,
    });
    this.preboot = new Preboot({
      webDynos: (id) => { const app = this.apps.get(id); return app ? webDynos(app) : []; },
      webQuantity: (id) => this.apps.get(id)?.webQuantity ?? 0,
      changed: () => this.routes.changed(),
    }, { switchAfterMs: o.bootTimeoutMs + 15_000, drainMs: o.prebootDrainMs ?? 5000 });
  }

  /** Loads every app and converges each to its desired state (platform start, or this process began to lead). */
  async start(): Promise<void> {
    this.started = true;
    const apps = await appStates(this.o.db);
    for (const a of apps) followApp(this, a);
    for (const a of apps) await this.formation.followLive(a.id);
    await this.o.cluster?.start(() => this.routes.changed());
    for (const a of apps) this.wake(a.id);
    // One timer for idling and cycling checks, one for memory samples; both end in shutdown().
    this.idling.start();
    this.sampler.start();
  }

  private async load(id: string): Promise<AppEntry | undefined> {
    for (const a of await appStates(this.o.db, [id])) followApp(this, a);
    return this.apps.get(id);
  }

  /** Not leading (several platform processes): the leader is told instead; true when it was. */
  private forward(n: LeaderNotice): boolean {
    if (!this.o.leader || this.started) return false;
    this.o.leader(n);
    return true;
  }

  /** The app's features changed (`features:enable log-runtime-metrics` ...). */
  setFeatures(appId: string, names: string[]): void {
    this.forward({ app: appId });
    const app = this.apps.get(appId);
    if (app) app.features = new Set(names);
    // The engine's dynos follow features through the app's desired state (log-runtime-metrics at once).
    if (app && this.o.cluster) this.wake(appId);
  }

  track(id: string, name: string): void {
    if (this.apps.has(id)) return;
    const app = newAppEntry(id, name);
    this.apps.set(id, app);
    this.routes.named(app);
  }

  /** The app's name changed: the router finds it under the new one from now on. */
  renamed(id: string, name: string): void {
    this.forward({ app: id });
    const app = this.apps.get(id);
    if (!app) return;
    const previous = app.name;
    app.name = name;
    this.routes.named(app, previous);
  }

  /** `maintenance:on/off`: the router answers H80 while on; dynos keep running. */
  setMaintenance(id: string, on: boolean): void {
    this.forward({ app: id });
    const app = this.apps.get(id);
    if (!app || app.maintenance === on) return;
    app.maintenance = on;
    this.routes.changed();
  }

  /** The app's custom domains changed: the router answers them for it from now on. */
  setDomains(appId: string, hostnames: string[]): void {
    this.forward({ app: appId });
    this.routes.setDomains(appId, hostnames);
  }

  /** Stops every dyno of the app and forgets it (the app is being destroyed). */
  async untrack(id: string): Promise<void> {
    this.forward({ app: id, gone: true });
    const app = this.apps.get(id);
    if (!app) return;
    this.apps.delete(id);
    this.routes.forget(app);
    await this.o.cluster?.remove(id);
    await this.preboot.stopAll(id);
    for (const t of app.restartTimers.values()) clearTimeout(t);
    await Promise.all([...app.dynos.values()].map((d) => d.stop()));
  }

  /** Ask the loop to reconcile the app soon; concurrent wakes coalesce into one more pass. */
  wake(appId: string): void {
    if (this.forward({ app: appId })) return;
    const app = this.apps.get(appId);
    if (!app || this.shuttingDown) return;
    if (app.running) { app.again = true; return; }
    app.running = true;
    const pass = (async () => {
      try {
        do {
          app.again = false;
          // A failed pass is reported and does not swallow a wake that arrived meanwhile.
          await this.reconcile(app).catch((err) => this.logger.error({ err, app: app.name }, 'reconciling failed'));
        } while (app.again && !this.shuttingDown);
      } finally {
        app.running = false;
      }
    })();
    this.passes.add(pass);
    void pass.finally(() => this.passes.delete(pass));
  }

  /**
   * A release went live: the formation follows its slug's process types first (so a release that
   * failed never touched it), then crash counters reset and the loop replaces the dynos. One app's
   * releases go live in order. Never rejects (a failure is logged).
   */
  goLive(appId: string, release: { version: number; slug_id: string | null; formation: string | null }): Promise<void> {
    const step = (this.goingLive.get(appId) ?? Promise.resolve()).then(async () => {
      const slug = await this.formation.ofRelease(release);
      if (slug) await this.formation.follow(appId, slug.processTypes, slug.initial);
      this.released(appId);
    }).catch((err) => this.logger.error({ err, app: appId, release: `v${release.version}` }, 'going live failed'));
    this.goingLive.set(appId, step);
    void step.then(() => { if (this.goingLive.get(appId) === step) this.goingLive.delete(appId); });
    return step;
  }

  /** `ps:scale` / `ps:type`: changes the formation (FormationError when refused), logs it, and reconciles. */
  async scale(appId: string, appName: string, updates: FormationUpdate[], user: Actor): Promise<FormationRow[]> {
    const changed = await this.formation.scale(appId, appName, updates, (row, previous) => this.o.onChange?.formation?.(row, user, previous));
    const summary = changed.map((p) => `${p.type}@${p.quantity}:${findSize(p.size)!.display}`).join(' ');
    this.o.logs.emit(appId, 'app', 'api', `Scaled to ${summary} by user ${user.email}`);
    this.wake(appId);
    return changed;
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
    // Not leading: the leader restarts them (how many it will is not known here, so one is assumed).
    if (this.forward({ app: appId, restart: target ?? '' })) return 1;
    const app = this.apps.get(appId);
    if (!app) return 0;
    if (this.o.cluster) return this.o.cluster.restart(appId, target);
    const chosen = [...app.dynos.values()].filter((d) => !d.spec.oneOff && (!target || d.name === target || d.spec.type === target));
    for (const d of chosen) {
      app.crashes.delete(d.name);
      if (d.state === 'crashed') {
        // Nothing to stop: drop the crashed dyno and its pending back-off, and boot it again now.
        this.forget(app, d.name);
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
    return chosen.length + (this.o.cluster?.restart(appId, target) ?? 0); // the engine's: stop is a restart
  }

  /** The slug blobs (and layer blobs) the dynos of every app run on (housekeeping keeps them). */
  slugsInUse(): Set<string> {
    const dynos = [...this.apps.values()].flatMap((a) => [...a.dynos.values(), ...(this.preboot.serving(a.id) ?? [])]);
    return new Set([...dynos.flatMap((d) => [d.spec.slugDir, ...d.spec.layerDirs].map((dir) => basename(dir))), ...(this.o.cluster?.slugsInUse() ?? [])]);
  }

  listed(appId: string): ListedDyno[] { return listedDynos(this.o.cluster, appId, this.dynos(appId)); }

  dynos(appId: string): Dyno[] {
    const app = this.apps.get(appId);
    return app ? [...app.dynos.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true })) : [];
  }

  /** Stops every dyno (SIGTERM, grace period, SIGKILL) and leaves no container behind. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.idling.stop();
    this.sampler.stop();
    const all: Promise<void>[] = [];
    for (const app of this.apps.values()) {
      for (const t of app.restartTimers.values()) clearTimeout(t);
      for (const d of app.dynos.values()) all.push(d.stop());
    }
    for (const launch of this.launches) all.push(launch.then((d) => d.stop(), () => undefined));
    all.push(...this.passes);
    all.push(this.preboot.stopAll());
    // Every stop runs to its end (a failure must not cut the others short when the platform exits).
    const failed = (await Promise.allSettled(all)).find((r) => r.status === 'rejected');
    await this.o.cluster?.close(); // the engine's services outlive the platform process
    if (failed) throw failed.reason;
  }

  /** Process types of the release dynos run (what formation entries' commands are). */
  async processTypes(appId: string): Promise<Record<string, string>> {
    return (await this.currentRelease(appId))?.processTypes ?? {};
  }

  private currentRelease(appId: string, releaseId?: string): Promise<CurrentRelease | undefined> {
    return currentRelease(this.o.db, this.o.decodeConfig, appId, releaseId);
  }

  /** One pass: gather desired and actual, decide (reconcile.ts), then stop, hand over and start. */
  private async reconcile(app: AppEntry): Promise<void> {
    const release = await this.currentRelease(app.id);
    const formation = await this.formation.list(app.id);
    const pages = { errorPageUrl: release?.config.ERROR_PAGE_URL || undefined, maintenancePageUrl: release?.config.MAINTENANCE_PAGE_URL || undefined };
    if (pages.errorPageUrl !== app.pages.errorPageUrl || pages.maintenancePageUrl !== app.pages.maintenancePageUrl) {
      app.pages = pages;
      this.routes.changed();
    }
    app.webSize = formation.find((f) => f.type === 'web')?.size ?? 'standard-1x';
    if (this.o.cluster) return convergeCluster(this.o.cluster, app, release, formation);
    const formationDynos = [...app.dynos.values()].filter((d) => !d.spec.oneOff);
    const plan = planReconcile({
      release, formation,
      dynos: formationDynos.map((d) => ({ name: d.name, type: d.spec.type, state: d.state, releaseId: d.spec.release.id, command: d.spec.command, size: d.spec.size.name })),
      // Preboot: up web dynos of an older release keep serving (out of the list) while their successors boot.
      preboot: app.features.has('preboot') && release !== undefined && this.preboot.serving(app.id) === undefined,
      backingOff: new Set(app.restartTimers.keys()),
    });
    app.webQuantity = plan.desired.filter((d) => d.type === 'web').length;
    const byName = new Map(formationDynos.map((d) => [d.name, d]));
    const handOver = plan.handOver.map((name) => byName.get(name)!);
    for (const d of handOver) {
      this.replaced.add(d);
      app.dynos.delete(d.name);
    }
    if (handOver.length > 0) this.preboot.begin(app.id, handOver);
    const stops = plan.stop.map(({ name, restart }) => {
      const d = byName.get(name)!;
      if (restart) this.log(app, name, 'Restarting');
      return d.stop();
    });
    for (const name of plan.drop) this.forget(app, name);
    // Replacements start as soon as the old dynos have been signalled (Heroku's order for restarts),
    // several side by side.
    await eachLimited(plan.start, START_CONCURRENCY, async (want) => {
      if (!this.shuttingDown) await this.launch(app, release!, { ...want, oneOff: false });
    });
    await Promise.all(stops);
  }

  /** Drops a crashed dyno from the list with its pending back-off restart. */
  private forget(app: AppEntry, name: string): void {
    clearTimeout(app.restartTimers.get(name));
    app.restartTimers.delete(name);
    app.dynos.delete(name);
  }

  /** Launches and reconcile passes under way: shutdown waits for them (and stops what they started), so
   * no container or /app disk outlives it, not even of a dyno being replaced when it began. */
  private readonly launches = new Set<Promise<Dyno>>();
  private readonly passes = new Set<Promise<void>>();

  private launch(app: AppEntry, release: CurrentRelease, d: LaunchSpec, deferStart = false): Promise<Dyno> {
    const launch = this.launchNow(app, release, d, deferStart);
    this.launches.add(launch);
    void launch.finally(() => this.launches.delete(launch)).catch(() => undefined);
    return launch;
  }

  private async launchNow(app: AppEntry, release: CurrentRelease, d: LaunchSpec, deferStart: boolean): Promise<Dyno> {
    // Layers are unpacked once per machine beside the slugs (named by their blob as slugs are), the app
    // part once per slug: a new release with the same runtime unpacks only its app part.
    const slugDir = join(this.o.dataDir, 'slugs', release.blob);
    const layerDirs = release.layers.map((b) => join(this.o.dataDir, 'slugs', b));
    await Promise.all([unpackSlug(this.o.blobs.path(release.blob), slugDir), ...release.layers.map((b, i) => unpackLayer(this.o.blobs.path(b), layerDirs[i]!))]);
    const port = d.type === 'web' ? await freePort() : undefined;
    const id = randomUUID();
    const env = app.features.has('runtime-dyno-metadata') ? { ...release.config, ...dynoMetadata(app, this.o.domain, release, id) } : release.config;
    const dyno = new Dyno({ id,
      appId: app.id, appName: app.name, name: d.name, type: d.type, command: d.command, oneOff: d.oneOff,
      release: { id: release.id, version: release.version }, size: sizeOrDefault(d.size), slugDir, layerDirs,
      env, port, startedBy: d.startedBy, onOutput: d.onOutput,
    }, {
      runtime: this.o.runtime, logs: this.o.logs, logger: this.logger, bootTimeoutMs: this.o.bootTimeoutMs, stopGraceMs: this.o.stopGraceMs,
      containerPrefix: this.o.containerPrefix, hangupIntervalMs: this.o.hangupIntervalMs,
      onStateChange: (dy, previous) => { this.routes.changed(); this.preboot.check(app.id); if (previous) this.o.onChange?.state?.(app.id, dy, previous); },
      onExit: (dy, _code, requested) => this.exited(app, dy, requested),
    });
    const previous = app.dynos.get(d.name);
    app.dynos.set(d.name, dyno);
    if (previous && previous !== dyno) this.replaced.add(previous);
    if (!deferStart) await dyno.start();
    this.idling.started(dyno);
    return dyno;
  }

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
}
