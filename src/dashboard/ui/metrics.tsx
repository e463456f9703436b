// Metrics: the last hour (a point a minute) or 24 hours (a point every 10 minutes, percentiles from
// the merged histograms), refreshed every 10 s: response time p50/p95/p99, throughput by status
// class, router errors by H-code, memory per process type against its quota, and load.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { Chart, type Series } from './chart.tsx';
import { useLoad } from './hooks.ts';
import { Problem } from './parts.tsx';

const WINDOWS = { hour: { ms: 3600_000, step: 60 }, day: { ms: 24 * 3600_000, step: 600 } };
const CLASS_COLORS: Record<string, string> = { '1xx': '#888', '2xx': '#1b7a3d', '3xx': '#2b6cb0', '4xx': '#c27c0e', '5xx': '#b3261e' };
const PALETTE = ['#5a3d99', '#b3261e', '#2b6cb0', '#c27c0e', '#1b7a3d', '#8a4f7d', '#3d8a8a'];

export function Metrics({ app }: TabProps) {
  const [win, setWin] = useState<keyof typeof WINDOWS>('hour');
  const { ms, step } = WINDOWS[win];
  const data = useLoad(async () => {
    const since = new Date(Date.now() - ms).toISOString();
    const [router, dynos] = await Promise.all([
      api<any[]>('GET', `/apps/${app.name}/router-metrics?since=${encodeURIComponent(since)}&step=${step}`),
      api<any[]>('GET', `/apps/${app.name}/dyno-metrics?since=${encodeURIComponent(since)}`),
    ]);
    return { router, dynos, since: Date.parse(since) };
  }, [app.name, win], 10_000);

  const d = data.data;
  let charts = null;
  if (d) {
    // One x value per step across the window, so minutes without traffic read as 0 requests.
    const stepMs = step * 1000;
    const first = Math.floor(d.since / stepMs) * stepMs;
    const times: number[] = [];
    for (let t = first; t <= Date.now(); t += stepMs) times.push(t / 1000);
    const at = (iso: string, s = stepMs) => Math.floor((Math.floor(Date.parse(iso) / s) * s - first) / stepMs);
    const blank = <T,>(v: T) => times.map(() => v);
    const pct = { p50: blank<number | null>(null), p95: blank<number | null>(null), p99: blank<number | null>(null) };
    const classes: Record<string, number[]> = Object.fromEntries(Object.keys(CLASS_COLORS).map((c) => [c, blank(0)]));
    const errors: Record<string, number[]> = {};
    for (const m of d.router) {
      const i = at(m.minute);
      if (i < 0 || i >= times.length) continue;
      for (const p of ['p50', 'p95', 'p99'] as const) pct[p][i] = m[p];
      for (const [c, n] of Object.entries(m.requests as Record<string, number>)) classes[c]![i]! += n;
      for (const [code, n] of Object.entries((m.errors ?? {}) as Record<string, number>)) (errors[code] ??= blank(0))[i]! += n;
    }
    // Memory and load come a minute at a time: in the 24-hour view a point is the window's largest.
    const types = [...new Set(d.dynos.map((m) => m.type as string))].sort();
    const mem: Record<string, (number | null)[]> = {};
    const quota: Record<string, (number | null)[]> = {};
    const load: Record<string, (number | null)[]> = {};
    for (const m of d.dynos) {
      const i = at(m.minute);
      if (i < 0 || i >= times.length) continue;
      const put = (rec: Record<string, (number | null)[]>, v: number) => { const a = (rec[m.type] ??= blank(null)); a[i] = Math.max(a[i] ?? 0, v); };
      put(mem, m.memory_mb);
      put(quota, m.quota_mb);
      put(load, m.load);
    }
    const perType = (rec: Record<string, (number | null)[]>, suffix = ''): Series[] => types.map((t, k) => ({ label: `${t}${suffix}`, color: PALETTE[k % PALETTE.length]!, values: rec[t]! }));
    charts = (
      <div class="charts">
        <Chart title="Response time" unit="ms" times={times} series={[
          { label: 'p50', color: '#1b7a3d', values: pct.p50 }, { label: 'p95', color: '#c27c0e', values: pct.p95 }, { label: 'p99', color: '#b3261e', values: pct.p99 }]} />
        <Chart title={`Throughput (requests per ${step === 60 ? 'minute' : '10 minutes'})`} unit="requests" times={times}
          series={Object.entries(classes).filter(([c, v]) => c === '2xx' || v.some((n) => n > 0)).map(([c, v]) => ({ label: c, color: CLASS_COLORS[c]!, values: v }))} />
        <Chart title="Router errors by H-code" unit="requests" times={times}
          series={Object.entries(errors).sort(([a], [b]) => a.localeCompare(b)).map(([code, v], k) => ({ label: code, color: PALETTE[k % PALETTE.length]!, values: v }))} />
        <Chart title="Memory per dyno (mean, MB)" unit="MB" times={times}
          series={[...perType(mem), ...types.map((t, k) => ({ label: `${t} quota`, color: PALETTE[k % PALETTE.length]!, values: quota[t]!, dash: true }))]} />
        <Chart title="Load (1-minute average per dyno)" unit="load" times={times} series={perType(load)} />
      </div>
    );
  }
  return (
    <section>
      <div class="bar">
        <fieldset class="seg"><legend class="sr">Window</legend>
          {(['hour', 'day'] as const).map((w) => (
            <label key={w}><input type="radio" name="window" value={w} checked={win === w} onChange={() => setWin(w)} /> {w === 'hour' ? 'Last hour' : 'Last 24 hours'}</label>
          ))}
        </fieldset>
        <span role="status">Live: updated every 10 s</span>
      </div>
      <Problem error={data.error} />
      {charts}
    </section>
  );
}
