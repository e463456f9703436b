// Memory samples of the tasks running on this engine's node, from the engine's stats (one-shot reads),
// for R14 as on runc: rss + swap over the size's quota logs `Process running mem=…` and
// `Error R14 (Memory quota exceeded)`. Tasks on other nodes are sampled by no one yet (their engines
// are not this one).
import type Docker from 'dockerode';
import type { ContainerStats } from '../runtime/types.ts';
import { memoryQuotaLines } from '../dynos/metrics.ts';

/** The engine's `memory_stats` (cgroup v1 or v2 field names) as the runtime's sample. */
export function engineSample(stats: { memory_stats?: { stats?: Record<string, number> } }): ContainerStats | undefined {
  const m = stats.memory_stats?.stats;
  if (!m) return undefined;
  const pick = (...names: string[]) => names.map((n) => m[n]).find((v) => typeof v === 'number') ?? 0;
  return {
    rssBytes: pick('total_rss', 'rss', 'anon'), cacheBytes: pick('total_cache', 'cache', 'file'), swapBytes: pick('total_swap', 'swap'),
    pgpgin: pick('total_pgpgin', 'pgpgin'), pgpgout: pick('total_pgpgout', 'pgpgout'), runnable: 0,
  };
}

export interface SampledTask { appId: string; dyno: string; container: string; quotaBytes: number }

/** One sample of each task: its R14 lines, if over quota, go to `log`. A task gone meanwhile is skipped. */
export async function sampleTasks(docker: Docker, tasks: readonly SampledTask[], log: (appId: string, dyno: string, line: string) => void): Promise<void> {
  for (const t of tasks) {
    const raw = await docker.getContainer(t.container).stats({ stream: false, 'one-shot': true } as { stream: false }).catch(() => undefined);
    const sample = raw && engineSample(raw as never);
    if (!sample) continue;
    for (const line of memoryQuotaLines(sample, t.quotaBytes)) log(t.appId, t.dyno, line);
  }
}
