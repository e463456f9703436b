// Runtime metrics and memory checks of a dyno, pure: load averages from runnable-task samples, the
// `log-runtime-metrics` lines, and the R14 lines. What counts as memory: rss + swap (page cache is left
// out, as Heroku's current dyno-memory-behavior page counts it), compared with the size's quota.
import type { ContainerStats } from '../runtime/types.ts';

const MB = 1024 * 1024;

export interface LoadAverages { m1: number; m5: number; m15: number }

/** The kernel's exponentially damped load average, fed one runnable-task count every `intervalMs`. */
export function nextLoad(prev: LoadAverages | undefined, runnable: number, intervalMs: number): LoadAverages {
  if (!prev) return { m1: runnable, m5: runnable, m15: runnable };
  const step = (old: number, windowMs: number) => {
    const e = Math.exp(-intervalMs / windowMs);
    return old * e + runnable * (1 - e);
  };
  return { m1: step(prev.m1, 60_000), m5: step(prev.m5, 300_000), m15: step(prev.m15, 900_000) };
}

export function memoryTotal(s: ContainerStats): number {
  return s.rssBytes + s.swapBytes;
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(2)}MB`;

/** The two `heroku[web.1]` lines log-runtime-metrics writes every sample, in Heroku's field order. */
export function runtimeMetricsLines(dyno: string, dynoRef: string, s: ContainerStats, load: LoadAverages, quotaBytes: number): string[] {
  const prefix = `source=${dyno} dyno=${dynoRef}`;
  return [
    `${prefix} sample#load_avg_1m=${load.m1.toFixed(2)} sample#load_avg_5m=${load.m5.toFixed(2)} sample#load_avg_15m=${load.m15.toFixed(2)}`,
    `${prefix} sample#memory_total=${mb(memoryTotal(s))} sample#memory_rss=${mb(s.rssBytes)} sample#memory_cache=${mb(s.cacheBytes)} `
      + `sample#memory_swap=${mb(s.swapBytes)} sample#memory_pgpgin=${s.pgpgin}pages sample#memory_pgpgout=${s.pgpgout}pages sample#memory_quota=${mb(quotaBytes)}`,
  ];
}

/** R14's two lines when the sample is over quota, else none. */
export function memoryQuotaLines(s: ContainerStats, quotaBytes: number): string[] {
  const total = memoryTotal(s);
  if (total <= quotaBytes) return [];
  return [`Process running mem=${Math.round(total / MB)}M(${((total / quotaBytes) * 100).toFixed(1)}%)`, 'Error R14 (Memory quota exceeded)'];
}

/** `heroku.<numeric app id>.<dyno uuid>`, the per-incarnation dyno reference Heroku's metrics carry. */
export function dynoRef(appId: string, dynoId: string): string {
  return `heroku.${parseInt(appId.replace(/-/g, '').slice(0, 7), 16)}.${dynoId}`;
}
