// The platform's own metrics in Prometheus' text format (prom-client), for the operator's scraper:
// API requests, router requests, builds (durations and outcomes), dynos by state, log lines and
// drain backlogs, the data disk, and Node's process metrics. Counters the platform's parts already
// keep are read at scrape time (`collect`), so nothing on a hot path does more than add one.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { diskUse } from './disk.ts';

/** Where the scrape reads what the parts keep; given by the composition root. */
export interface MetricSources {
  /** The state of every dyno the dyno manager has (`up`, `starting`, `crashed`...). */
  dynoStates(): Promise<string[]>;
  /** The log pipeline's running totals since start: lines delivered, app lines dropped over budget. */
  logCounts(): { lines: number; dropped: number };
  drainBacklogs(): { drainId: string; appId: string; lines: number }[];
  /** Builds that finished after `since` (ISO time), oldest first. */
  finishedBuilds(since: string): Promise<{ status: string; seconds: number; finishedAt: string }[]>;
  dataDir: string;
}

export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly apiRequests: Counter<'method' | 'status'>;
  private readonly apiSeconds: Histogram<'method'>;
  private readonly routerRequests: Counter<'status'>;
  private buildsSince = new Date().toISOString();

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'slipway_' });
    this.apiRequests = new Counter({ name: 'slipway_api_requests_total', help: 'Platform API and git requests answered, by method and status', labelNames: ['method', 'status'], registers });
    this.apiSeconds = new Histogram({ name: 'slipway_api_request_duration_seconds', help: 'Platform API request durations', labelNames: ['method'], buckets: [0.005, 0.025, 0.1, 0.5, 2, 10, 60], registers });
    this.routerRequests = new Counter({ name: 'slipway_router_requests_total', help: 'Requests the router finished, by status class (2xx, 5xx, ...)', labelNames: ['status'], registers });
    const metrics = this;
    new Histogram({
      name: 'slipway_build_duration_seconds', help: 'Durations of the builds finished since the platform started, by outcome (succeeded, failed)',
      labelNames: ['outcome'], buckets: [10, 30, 60, 120, 300, 600, 900], registers,
      async collect() {
        for (const b of await sources.finishedBuilds(metrics.buildsSince)) {
          this.observe({ outcome: b.status }, b.seconds);
          if (b.finishedAt > metrics.buildsSince) metrics.buildsSince = b.finishedAt;
        }
      },
    });
    new Gauge({
      name: 'slipway_dynos', help: 'Dynos by state', labelNames: ['state'], registers,
      async collect() {
        const counts = new Map<string, number>();
        const states = await sources.dynoStates();
        this.reset();
        for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    let seen = { lines: 0, dropped: 0 };
    const logLines = new Counter({ name: 'slipway_log_lines_total', help: 'Log lines delivered by logplex (stored and handed to tails and drains)', registers });
    const dropped = new Counter({ name: 'slipway_log_lines_dropped_total', help: "App log lines dropped over the app's log rate (L10)", registers });
    const readLogs = () => {
      const now = sources.logCounts();
      logLines.inc(Math.max(0, now.lines - seen.lines));
      dropped.inc(Math.max(0, now.dropped - seen.dropped));
      seen = { ...now };
    };
    new Gauge({
      name: 'slipway_drain_backlog_lines', help: 'Lines waiting to go out to each log drain', labelNames: ['drain', 'app'], registers,
      collect() {
        this.reset();
        readLogs();
        for (const b of sources.drainBacklogs()) this.set({ drain: b.drainId, app: b.appId }, b.lines);
      },
    });
    const disk = async () => diskUse(sources.dataDir);
    new Gauge({ name: 'slipway_disk_used_ratio', help: "The data dir's disk, share used (0..1)", registers, async collect() { this.set((await disk()).used); } });
    new Gauge({ name: 'slipway_disk_free_bytes', help: "The data dir's disk, bytes free", registers, async collect() { this.set((await disk()).freeBytes); } });
  }

  apiRequest(method: string, status: number, seconds: number): void {
    this.apiRequests.inc({ method, status: String(status) });
    this.apiSeconds.observe({ method }, seconds);
  }

  routerRequest(status: number | undefined): void {
    this.routerRequests.inc({ status: status ? `${Math.floor(status / 100)}xx` : 'none' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
