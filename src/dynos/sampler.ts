// Memory and load samples of every running dyno, on one timer: R14 lines when a dyno is over its
// memory quota, and Heroku's `log-runtime-metrics` lines where the app enabled that feature.
import type { Dyno } from './dyno.ts';
import { dynoRef, memoryQuotaLines, memoryTotal, nextLoad, runtimeMetricsLines, type LoadAverages } from './metrics.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export interface SampledApp {
  id: string;
  name: string;
  features: ReadonlySet<string>;
  dynos: ReadonlyMap<string, Dyno>;
}

export interface SamplerOptions {
  apps: () => Iterable<SampledApp>;
  /** A `heroku[<dyno>]` line into the app's log. */
  log: (appId: string, dyno: string, line: string) => void;
  /** Every sample of a dyno, for the metrics history (memory is rss + swap, as R14 counts it). */
  onSample?: (appId: string, type: string, dyno: string, memoryBytes: number, quotaBytes: number, load1m: number) => void;
  /** Heroku samples about every 20 s. */
  intervalMs: number;
  logger?: Logger;
}

export class Sampler {
  /** Per dyno incarnation: its damped load averages. */
  private readonly loads = new WeakMap<Dyno, LoadAverages>();
  private timer?: NodeJS.Timeout;
  private sampling = false;

  private readonly logger: Logger;

  constructor(private readonly o: SamplerOptions) {
    this.logger = o.logger ?? componentLogger(undefined, 'dynos');
  }

  start(): void {
    this.timer = setInterval(() => void this.sample().catch((err) => this.logger.error({ err }, 'sampling failed')), this.o.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return; // a slow round is not overlapped by the next
    this.sampling = true;
    try {
      for (const app of this.o.apps()) {
        for (const d of app.dynos.values()) {
          if (d.state !== 'up' && d.state !== 'starting') continue;
          let s;
          try {
            s = await d.stats();
          } catch (err) {
            this.logger.error({ err, app: app.name, dyno: d.name }, 'sampling failed');
          }
          if (!s) continue;
          const load = nextLoad(this.loads.get(d), s.runnable, this.o.intervalMs);
          this.loads.set(d, load);
          this.o.onSample?.(app.id, d.spec.type, d.name, memoryTotal(s), d.spec.size.quotaBytes, load.m1);
          if (app.features.has('log-runtime-metrics')) {
            for (const line of runtimeMetricsLines(d.name, dynoRef(app.id, d.id), s, load, d.spec.size.quotaBytes)) this.o.log(app.id, d.name, line);
          }
          for (const line of memoryQuotaLines(s, d.spec.size.quotaBytes)) this.o.log(app.id, d.name, line);
        }
      }
    } finally {
      this.sampling = false;
    }
  }
}
