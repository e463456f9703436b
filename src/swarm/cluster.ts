// The swarm runtime (SLIPWAY_RUNTIME=swarm): every process type of an app's live release is a Docker
// Swarm service, and the engine places, restarts and replaces its tasks. This file makes the services
// follow the formation (converge), and keeps the dynos the engine reports (refresh: tasks → `web.1`...,
// their log lines, the bind probe, R10). It follows the engine's events, with a slower look as a backstop
// for tasks on other nodes (whose container events this engine does not see). Memory samples come from
// the engine agent on every node (agent.ts), which also stops a single task for `ps:restart web.2`.
// Services outlive the platform process: close() only stops watching.
import { connect } from 'node:net';
import type Docker from 'dockerode';
import type { ClusterApp, ClusterDyno, ClusterFormation } from '../runtime/cluster.ts';
import type { LogSink } from '../logs/types.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import { BlobEndpoint } from './blob-endpoint.ts';
import { ContainerAddresses, checkSwarmManager, hostAddressForTasks, nodeAddresses, taskSubnets } from './engine.ts';
import { closeHostToTasks, forgetBlobPort } from './firewall.ts';
import type { AddonServers } from './addon-relay.ts';
import { TaskReach } from './reach.ts';
import { StackImage } from './stack-image.ts';
import { LABELS, WEB_PORT, secretContent, serviceSpec, type ServiceInput } from './service-spec.ts';
import { currentTasks, publishedPort, taskState, transitionLines, type EngineTask, type SeenTask } from './tasks.ts';
import { TaskLogs } from './task-logs.ts';
import { EngineEvents } from './events.ts';
import type { SampledTask } from './samples.ts';
import { EngineAgent } from './agent.ts';
import { ensureDynoSecret, sweepDynoSecrets } from './secrets.ts';
import { sizeOrDefault } from '../runtime/sizes.ts';

export interface SwarmClusterOptions {
  docker: Docker;
  /** This platform's prefix (`slipway-<8 hex>-`): names and labels what it makes. */
  platform: string;
  /** The stack's root dir, imported once as the image, and the engine's name for it. */
  stackRoot: string;
  image: string;
  /** SLIPWAY_REGISTRY; else the platform's own registry (its dir, and the port nodes pull from) once a second node joins. */
  registry?: string;
  registryDir: string;
  registryPort: number;
  /** The files of the slug whose blob is `sha256` (its layers', then its own), or undefined when not stored. */
  slugFiles: (sha256: string) => Promise<string[] | undefined>;
  sign: (claim: string) => string;
  verify: (claim: string, signature: string) => boolean;
  /** The blob endpoint's listener, and the base URL tasks reach it at (default: this machine's gateway address). */
  blobPort: number;
  blobUrl?: string;
  logs: LogSink;
  /** What tasks may reach besides the blob endpoint: the add-on pool, and the private ranges the operator allowed. */
  openTargets: string[];
  allowPrivate: { all: boolean; ipv4: string[] };
  /** The add-on servers now, relayed to tasks on every node (addon-relay.ts). */
  addonServers?: () => AddonServers | undefined;
  bootTimeoutMs: number;
  /** How long a signed slug URL works (tasks started later need a new one: the service is updated halfway). */
  slugUrlTtlMs: number;
  /** Swarm's delay before it restarts a crashed task. */
  restartDelayMs: number;
  /** The backstop look at every app's tasks (events drive the fast path). */
  pollMs: number;
  /** Memory samples (R14, log-runtime-metrics) of every task, this often. */
  metricsIntervalMs: number;
  /** The engine socket's path on each node, for the agent (may hold `{{.Node.ID}}`). */
  engineSocket: string;
  logger?: Logger;
}

interface AppView {
  want?: ClusterApp;
  dynos: ClusterDyno[];
  /** Per task: its last logged state. */
  seen: Map<string, SeenTask>;
  /** Web tasks whose $PORT accepted a connection. */
  bound: Set<string>;
  /** Task id → its dyno name, for log lines. */
  names: Map<string, string>;
  probing: Set<string>;
  refreshing?: Promise<void>;
  again: boolean;
  /** Its running tasks on any node, by container: memory samples and OOM kills are matched to them. */
  tasks: SampledTask[];
  /** Its tasks have been read once (those found then were started by an earlier platform process). */
  primed: boolean;
  bucket?: number;
}

export class SwarmCluster implements ClusterFormation {
  readonly name = 'swarm';
  private readonly apps = new Map<string, AppView>();
  private readonly logger: Logger;
  private readonly blobs: BlobEndpoint;
  private blobBase = '';
  private nodes = new Map<string, { address: string; hostname: string }>();
  private onChange: (appId: string) => void = () => undefined;
  private events?: EngineEvents;
  private timer?: NodeJS.Timeout;
  /** This engine's own node (the router reaches its tasks at their containers' addresses). */
  private localNode = '';
  private readonly addresses: ContainerAddresses;
  /** Containers whose OOM kill was told (bounded, oldest forgotten first). */
  private readonly oomTold = new Set<string>();
  private readonly agent: EngineAgent;
  private closed = false;
  private readonly taskLogs: TaskLogs;
  private readonly reach: TaskReach;
  private readonly image: StackImage;
  /** Settles once start() has the image, the blob endpoint and its URL (nothing converges before). */
  private readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;

  constructor(private readonly o: SwarmClusterOptions) {
    this.logger = componentLogger(o.logger, 'swarm');
    this.ready = new Promise((r) => { this.markReady = r; });
    this.addresses = new ContainerAddresses(o.docker);
    this.image = new StackImage({ docker: o.docker, stackRoot: o.stackRoot, image: o.image, registry: o.registry, registryDir: o.registryDir, registryPort: o.registryPort, progress: (line) => this.logger.info(line) });
    this.reach = new TaskReach({ platform: o.platform, servers: () => o.addonServers?.(), logger: this.logger });
    this.blobs = new BlobEndpoint({ host: '0.0.0.0', port: o.blobPort, files: o.slugFiles, sign: o.sign, verify: o.verify, logger: this.logger });
    this.taskLogs = new TaskLogs(o.docker, this.logger, (serviceAppId, taskId, line) => {
      const view = this.apps.get(serviceAppId);
      const name = view?.names.get(taskId);
      if (name) o.logs.emit(serviceAppId, 'app', name, line);
      else if (view) void this.refresh(serviceAppId).then(() => { const n = view.names.get(taskId); if (n) o.logs.emit(serviceAppId, 'app', n, line); });
    });
    const agent = { platform: o.platform, image: () => this.image.ref, socket: o.engineSocket, intervalSeconds: Math.max(1, Math.round(o.metricsIntervalMs / 1000)) };
    this.agent = new EngineAgent(o.docker, this.logger, agent, (c) => this.taskOf(c), (appId, dyno, line) => o.logs.emit(appId, 'heroku', dyno, line),
      (k) => this.oomKilled(k.appId, k.dyno, k.container));
  }

  async start(onChange: (appId: string) => void): Promise<void> {
    this.onChange = onChange;
    await checkSwarmManager(this.o.docker);
    await this.blobs.listen();
    const subnets = await taskSubnets(this.o.docker);
    await closeHostToTasks({ sources: subnets, openTargets: this.o.openTargets, allowPrivate: this.o.allowPrivate }, this.blobs.port, this.o.platform);
    this.blobBase = this.o.blobUrl ?? `http://${await hostAddressForTasks(this.o.docker)}:${this.blobs.port}`;
    await this.image.start(new URL(this.blobBase).hostname);
    await this.reach.start(this.blobBase, subnets, [this.blobs.port, ...(this.o.registry ? [] : [this.o.registryPort])]);
    this.localNode = ((await this.o.docker.info()) as { Swarm?: { NodeID?: string } }).Swarm?.NodeID ?? '';
    await this.setNodes(await nodeAddresses(this.o.docker), true);
    this.logger.info(`swarm: services of this platform are labelled ${LABELS.platform}=${this.o.platform}; tasks fetch slugs from ${this.blobBase}`);
    this.events = new EngineEvents(this.o.docker, this.o.platform, this.logger, {
      app: (appId) => void this.refresh(appId),
      oom: (appId, container) => {
        const dyno = this.apps.get(appId)?.tasks.find((t) => t.container === container)?.dyno;
        if (dyno) this.oomKilled(appId, dyno, container);
      },
      all: () => { for (const appId of this.apps.keys()) void this.refresh(appId); },
      nodes: () => void nodeAddresses(this.o.docker).then((n) => this.setNodes(n)).catch((err: Error) => this.logger.warn({ err }, 'following the swarm\'s nodes failed')),
    });
    await this.events.follow();
    this.timer = setInterval(() => this.poll(), this.o.pollMs);
    await this.agent.update();
    this.markReady();
  }

  /** R15, once per container: this engine's event (its node) and the agents (every node) both tell of it. */
  private oomKilled(appId: string, dyno: string, container: string): void {
    if (!this.apps.has(appId) || this.oomTold.has(container)) return;
    this.oomTold.add(container);
    if (this.oomTold.size > 2000) this.oomTold.delete(this.oomTold.values().next().value!);
    this.o.logs.emit(appId, 'heroku', dyno, 'Error R15 (Memory quota vastly exceeded)');
    this.o.logs.emit(appId, 'heroku', dyno, 'Stopping process with SIGKILL');
  }

  private taskOf(container: string): SampledTask | undefined {
    return [...this.apps.values()].flatMap((v) => v.tasks).find((t) => t.container === container);
  }

  private async setNodes(nodes: Map<string, { address: string; hostname: string }>, waitForImage = false): Promise<void> {
    this.nodes = nodes;
    await this.reach.nodes(nodes, this.localNode);
    // A second node: the platform's registry serves the image, and every service is named there.
    const moved = this.image.nodes(nodes.size).then((changed) => {
      if (!changed) return;
      for (const v of this.apps.values()) if (v.want) void this.converge(v.want).catch((err: Error) => this.logger.error({ err }, 'naming the registry\'s image failed'));
      void this.agent.update().catch((err: Error) => this.logger.error({ err }, 'naming the registry\'s image for the engine agent failed'));
    }, (err: Error) => this.logger.error({ err }, 'the platform\'s registry failed'));
    if (waitForImage) await moved;
  }

  private view(appId: string): AppView {
    let v = this.apps.get(appId);
    if (!v) {
      v = { dynos: [], seen: new Map(), bound: new Set(), names: new Map(), probing: new Set(), again: false, tasks: [], primed: false };
      this.apps.set(appId, v);
    }
    return v;
  }

  private async services(filter: Record<string, string>): Promise<{ ID: string; Version: { Index: number }; Spec: { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ForceUpdate?: number } & Record<string, unknown> } & Record<string, unknown> }[]> {
    const label = [`${LABELS.platform}=${this.o.platform}`, ...Object.entries(filter).map(([k, v]) => `${k}=${v}`)];
    return await this.o.docker.listServices({ filters: { label } }) as never;
  }

  async converge(app: ClusterApp): Promise<void> {
    await this.ready;
    const view = this.view(app.id);
    view.want = app;
    const bucketMs = this.o.slugUrlTtlMs / 2;
    view.bucket = Math.floor(Date.now() / bucketMs);
    const existing = await this.services({ [LABELS.appId]: app.id });
    const byType = new Map(existing.map((s) => [s.Spec.Labels?.[LABELS.type] ?? '', s]));
    // No service yet: every task to come is this process's own, and logs its start.
    if (existing.length === 0) view.primed = true;
    const wanted = app.release ? app.formation.filter((f) => f.quantity > 0 && app.release!.processTypes[f.type]) : [];
    const secret = app.release && wanted.length > 0 ? await this.secretFor(app, view.bucket, bucketMs) : undefined;
    for (const f of wanted) {
      const input: ServiceInput = {
        platform: this.o.platform, app: { id: app.id, name: app.name }, release: { id: app.release!.id, version: app.release!.version }, type: f.type,
        command: app.release!.processTypes[f.type]!, quantity: f.quantity, size: f.size, preboot: app.preboot, image: this.image.ref,
        secret: secret!, restartDelayNs: this.o.restartDelayMs * 1_000_000,
      };
      const spec = serviceSpec(input);
      const current = byType.get(f.type);
      if (!current) {
        await this.o.docker.createService(spec as never);
        continue;
      }
      const same = current.Spec.Labels?.[LABELS.spec] === (spec.Labels as Record<string, string>)[LABELS.spec];
      const replicas = (current.Spec as { Mode?: { Replicated?: { Replicas?: number } } }).Mode?.Replicated?.Replicas;
      if (same && replicas === f.quantity) continue;
      // Same spec, other quantity: only the replicas change (no task is replaced).
      // A service keeps its name (the engine renames none): an app renamed keeps its services' names.
      const next = same ? { ...current.Spec, Mode: { Replicated: { Replicas: f.quantity } } } : { ...spec, Name: current.Spec.Name };
      await this.update(current.ID, current.Version.Index, next);
    }
    for (const [type, s] of byType) {
      if (!wanted.some((f) => f.type === type)) await this.o.docker.getService(s.ID).remove().catch((err: Error) => this.logger.warn({ err, app: app.name }, 'removing a service failed'));
    }
    await sweepDynoSecrets(this.o.docker, this.o.platform, app.id, secret?.name);
    await this.refresh(app.id);
  }

  /** A service update at the version read (the engine refuses it when the service changed meanwhile). */
  private async update(id: string, version: number, spec: Record<string, unknown>): Promise<void> {
    await this.o.docker.getService(id).update({ _query: { version }, _body: spec } as never);
  }

  /** The release's config and signed slug URL as a Docker secret (one per release and URL period). */
  private async secretFor(app: ClusterApp, bucket: number, bucketMs: number): Promise<{ id: string; name: string }> {
    const r = app.release!;
    // The config first: a platform started again relays its add-on ports again, and the name follows what tasks get.
    const config = await this.reach.configFor(r.config);
    return ensureDynoSecret(this.o.docker, {
      platform: this.o.platform, appId: app.id, key: `${app.id}:${r.id}:${bucket}:${this.blobBase}:${JSON.stringify(config)}`,
      content: () => secretContent(config, this.blobs.url(this.blobBase, r.blob, Math.floor(((bucket + 1) * bucketMs + this.o.slugUrlTtlMs) / 1000))),
    });
  }

  dynos(appId: string): ClusterDyno[] {
    return this.apps.get(appId)?.dynos ?? [];
  }

  restart(appId: string, target?: string): number {
    const view = this.apps.get(appId);
    if (!view) return 0;
    // One dyno (`web.2`): the agent on its node stops its container, and the engine starts that slot again.
    if (target?.includes('.')) {
      const one = view.tasks.find((t) => t.dyno === target);
      if (!one) return 0;
      this.o.logs.emit(appId, 'heroku', target, 'Restarting');
      void this.agent.update(one.container).catch((err: Error) => this.logger.error({ err, app: appId }, 'restart failed'));
      return 1;
    }
    const types = new Set(view.dynos.filter((d) => !target || d.type === target).map((d) => d.type));
    const chosen = view.dynos.filter((d) => types.has(d.type));
    void (async () => {
      for (const s of await this.services({ [LABELS.appId]: appId })) {
        const type = s.Spec.Labels?.[LABELS.type] ?? '';
        if (!types.has(type)) continue;
        for (const d of chosen) if (d.type === type) this.o.logs.emit(appId, 'heroku', d.name, 'Restarting');
        // ForceUpdate replaces every task of the service, as `docker service update --force`.
        const template = { ...s.Spec.TaskTemplate, ForceUpdate: (s.Spec.TaskTemplate?.ForceUpdate ?? 0) + 1 };
        await this.update(s.ID, s.Version.Index, { ...s.Spec, TaskTemplate: template });
      }
    })().catch((err: Error) => this.logger.error({ err, app: appId }, 'restart failed'));
    return chosen.length;
  }

  async remove(appId: string): Promise<void> {
    for (const s of await this.services({ [LABELS.appId]: appId })) await this.o.docker.getService(s.ID).remove().catch(() => undefined);
    this.taskLogs.forgetApp(appId);
    this.apps.delete(appId);
    // A secret is refused while a task still holds it: the engine lets go within moments.
    for (let i = 0; i < 20; i++) {
      await sweepDynoSecrets(this.o.docker, this.o.platform, appId);
      const left = await this.o.docker.listSecrets({ filters: { label: [`${LABELS.appId}=${appId}`] } }) as unknown[];
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  slugsInUse(): Set<string> {
    return new Set([...this.apps.values()].flatMap((v) => (v.want?.release ? [v.want.release.blob] : [])));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.events?.close();
    this.taskLogs.close();
    this.agent.close();
    if (this.blobs.port) await forgetBlobPort(this.blobs.port, this.o.platform, this.reach.relayPorts);
    await this.reach.close();
    await this.image.close();
    await this.blobs.close();
  }

  /** Reads the app's tasks again; concurrent asks coalesce into one more read. */
  refresh(appId: string): Promise<void> {
    const view = this.view(appId);
    if (view.refreshing) { view.again = true; return view.refreshing; }
    view.refreshing = (async () => {
      try {
        do {
          view.again = false;
          await this.readTasks(appId, view).catch((err: Error) => this.logger.warn({ err, app: appId }, 'reading tasks failed'));
        } while (view.again && !this.closed);
      } finally {
        view.refreshing = undefined;
      }
    })();
    return view.refreshing;
  }

  private async readTasks(appId: string, view: AppView): Promise<void> {
    const services = await this.services({ [LABELS.appId]: appId });
    const next: ClusterDyno[] = [];
    const live = new Set<string>();
    const running: SampledTask[] = [];
    for (const s of services) {
      const labels = s.Spec.Labels ?? {};
      const type = labels[LABELS.type] ?? '';
      this.taskLogs.follow(appId, s.ID);
      const tasks = await this.o.docker.listTasks({ filters: { service: [s.ID] } }) as EngineTask[];
      for (const t of tasks) if (t.Slot !== undefined) view.names.set(t.ID, `${type}.${t.Slot}`);
      const want = view.want;
      const command = want?.release?.processTypes[type] ?? '';
      const release = want?.release && `v${want.release.version}` === labels[LABELS.release] ? { id: want.release.id, version: want.release.version } : { id: '', version: Number((labels[LABELS.release] ?? 'v0').slice(1)) };
      const size = want?.formation.find((f) => f.type === type)?.size ?? 'standard-1x';
      const current = currentTasks(tasks);
      const currentIds = new Set([...current.values()].map((t) => t.ID));
      // A task replaced before its end was seen (a crash and its successor in one look, or the old task
      // of an update) still logs how it ended, once it has.
      for (const t of tasks) {
        const before = view.seen.get(t.ID);
        if (currentIds.has(t.ID) || !before) continue;
        live.add(t.ID);
        const state = taskState(t);
        if (state === 'running' || state === 'starting') continue;
        const ended: SeenTask = { state, exitCode: t.Status.ContainerStatus?.ExitCode };
        for (const line of transitionLines(before, ended, command)) this.o.logs.emit(appId, 'heroku', `${type}.${t.Slot}`, line);
        view.seen.set(t.ID, ended);
      }
      for (const [slot, t] of current) {
        const name = `${type}.${slot}`;
        live.add(t.ID);
        const node = t.NodeID ? this.nodes.get(t.NodeID) : undefined;
        if (t.NodeID && !node) await this.setNodes(await nodeAddresses(this.o.docker));
        const at = t.NodeID ? this.nodes.get(t.NodeID) : undefined;
        let state: SeenTask['state'] = taskState(t);
        const container = t.Status.ContainerStatus?.ContainerID;
        const onThisNode = state === 'running' && container !== undefined && t.NodeID === this.localNode;
        if (state === 'running' && container) running.push({ appId, dyno: name, task: t.ID, container, quotaBytes: sizeOrDefault(size).quotaBytes, runtimeMetrics: want?.runtimeMetrics ?? false });
        // Where the router reaches it: on this node the container itself (no proxy between, and a port
        // nobody listens on is refused, not accepted by the engine's userland proxy); elsewhere its node's
        // published port.
        const target = type !== 'web' || state !== 'running' ? undefined
          : onThisNode ? await this.addresses.of(container!).then((ip) => ip && { address: ip, port: WEB_PORT })
          : at && publishedPort(t, WEB_PORT) ? { address: at.address, port: publishedPort(t, WEB_PORT)! } : undefined;
        if (state === 'running') {
          if (type !== 'web' || view.bound.has(t.ID)) state = 'up';
          else if (target) this.probe(appId, view, t, target.address, target.port);
          this.bootTimeout(appId, name, t);
        }
        const seen: SeenTask = { state, exitCode: t.Status.ContainerStatus?.ExitCode };
        // What ran before this platform process started is taken over without a line.
        const lines = view.primed ? transitionLines(view.seen.get(t.ID), seen, command) : [];
        for (const line of lines) this.o.logs.emit(appId, 'heroku', name, line);
        view.seen.set(t.ID, seen);
        next.push({
          id: t.ID, name, type, state: state === 'running' ? 'starting' : state, command, size, release,
          createdAt: new Date(t.CreatedAt), updatedAt: new Date(t.UpdatedAt), node: at?.hostname,
          ...(state === 'up' && target ? target : {}),
        });
      }
    }
    for (const id of view.seen.keys()) if (!live.has(id)) { view.seen.delete(id); view.bound.delete(id); }
    view.primed = true;
    next.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const changed = JSON.stringify(next.map((d) => [d.id, d.state, d.address, d.port])) !== JSON.stringify(view.dynos.map((d) => [d.id, d.state, d.address, d.port]));
    view.dynos = next;
    view.tasks = running;
    if (changed) this.onChange(appId);
  }

  /** A web task is up once its published port accepts a TCP connection (as a runc dyno's $PORT). */
  private probe(appId: string, view: AppView, t: EngineTask, host: string, port: number): void {
    if (view.probing.has(t.ID)) return;
    view.probing.add(t.ID);
    let wait = 20;
    const attempt = () => {
      if (this.closed) { view.probing.delete(t.ID); return; }
      const s = connect({ host, port });
      s.once('connect', () => { s.destroy(); view.probing.delete(t.ID); view.bound.add(t.ID); void this.refresh(appId); });
      s.once('error', () => {
        s.destroy();
        const seen = view.seen.get(t.ID);
        if (seen && seen.state !== 'running' && seen.state !== 'starting') { view.probing.delete(t.ID); return; }
        setTimeout(attempt, wait).unref();
        wait = Math.min(500, wait * 1.5);
      });
    };
    attempt();
  }

  private readonly booting = new Map<string, NodeJS.Timeout>();

  /** R10: a web task running without binding its port within the boot timeout is killed; the engine replaces it. */
  private bootTimeout(appId: string, name: string, t: EngineTask): void {
    if (!name.startsWith('web.') || this.booting.has(t.ID)) return;
    const timer = setTimeout(() => {
      const view = this.apps.get(appId);
      if (!view || view.bound.has(t.ID) || !view.seen.has(t.ID)) return;
      const secs = Math.round(this.o.bootTimeoutMs / 1000);
      this.o.logs.emit(appId, 'heroku', name, `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${secs} seconds of launch`);
      this.o.logs.emit(appId, 'heroku', name, 'Stopping process with SIGKILL');
      const container = t.Status.ContainerStatus?.ContainerID;
      if (container) void this.o.docker.getContainer(container).kill({ signal: 'SIGKILL' }).catch(() => undefined);
    }, this.o.bootTimeoutMs);
    timer.unref();
    this.booting.set(t.ID, timer);
  }

  private poll(): void {
    if (this.closed) return;
    const bucketMs = this.o.slugUrlTtlMs / 2;
    for (const [appId, view] of this.apps) {
      // The slug URL in the tasks' secret is re-signed halfway through its life.
      if (view.want && view.bucket !== undefined && Math.floor(Date.now() / bucketMs) !== view.bucket) {
        void this.converge(view.want).catch((err: Error) => this.logger.error({ err, app: appId }, 're-signing the slug URL failed'));
      } else void this.refresh(appId);
    }
    for (const [id, timer] of this.booting) {
      if (![...this.apps.values()].some((v) => v.seen.has(id))) { clearTimeout(timer); this.booting.delete(id); }
    }
  }
}
