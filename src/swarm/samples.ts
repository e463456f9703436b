// Memory samples and runtime metrics of tasks on any node, from the engine's stats as the engine agent
// (agent.ts) reports them: rss + swap over the size's quota logs `Process running mem=…` and
// `Error R14 (Memory quota exceeded)` as on runc, and where the app enabled `log-runtime-metrics` the
// two `source=web.1 dyno=heroku.… sample#…` lines. The engine's stats have no count of runnable tasks
// (runc's load average): the load here is the CPUs the task kept busy since its previous sample, damped
// as the kernel damps its load average.
import type { ContainerStats } from '../runtime/types.ts';
import { dynoRef, memoryQuotaLines, nextLoad, runtimeMetricsLines, type LoadAverages } from '../dynos/metrics.ts';
import type { AgentSample } from './agent.ts';

/** The engine's `memory_stats.stats` (cgroup v1 or v2 field names) as the runtime's sample. */
export function engineSample(m: Record<string, number> | undefined): ContainerStats | undefined {
  if (!m || Object.keys(m).length === 0) return undefined;
  const pick = (...names: string[]) => names.map((n) => m[n]).find((v) => typeof v === 'number') ?? 0;
  return {
    rssBytes: pick('total_rss', 'rss', 'anon'), cacheBytes: pick('total_cache', 'cache', 'file'), swapBytes: pick('total_swap', 'swap'),
    pgpgin: pick('total_pgpgin', 'pgpgin'), pgpgout: pick('total_pgpgout', 'pgpgout'), runnable: 0,
  };
}

/** A running task the platform knows, by its container (on any node). */
export interface SampledTask { appId: string; dyno: string; task: string; container: string; quotaBytes: number; runtimeMetrics: boolean }

/** Turns agent samples into log lines; keeps each container's previous CPU reading (at most 10,000 kept). */
export class TaskSamples {
  private readonly prev = new Map<string, { cpu?: number; system?: number; load?: LoadAverages }>();

  constructor(private readonly intervalMs: number, private readonly log: (appId: string, dyno: string, line: string) => void) {}

  take(t: SampledTask, s: AgentSample): void {
    const sample = engineSample(s.memory);
    if (!sample) return;
    for (const line of memoryQuotaLines(sample, t.quotaBytes)) this.log(t.appId, t.dyno, line);
    const before = this.prev.get(t.container);
    const busy = before?.cpu !== undefined && before.system !== undefined && s.cpu !== undefined && s.system !== undefined && s.system > before.system
      ? ((s.cpu - before.cpu) / (s.system - before.system)) * (s.cpus ?? 1) : 0;
    const load = nextLoad(before?.load, Math.max(0, busy), this.intervalMs);
    if (this.prev.size >= 10_000) this.prev.clear();
    this.prev.set(t.container, { cpu: s.cpu, system: s.system, load });
    if (t.runtimeMetrics) for (const line of runtimeMetricsLines(t.dyno, dynoRef(t.appId, t.task), sample, load, t.quotaBytes)) this.log(t.appId, t.dyno, line);
  }
}
