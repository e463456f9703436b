// Router metrics, served by the API (GET /apps/{app}/router-metrics): per app and per minute, requests
// by status class, router errors by H-code, response-time percentiles (p50/p95/p99) and bytes sent.
// Times go into a log-scale histogram (buckets 5% wide), so a minute costs the same memory whatever its
// traffic and percentiles are within 5%; the histogram is kept with the minute, so the percentiles of a
// longer window are computed from the merged buckets (`mergeMinutes`), never averaged. Finished minutes
// are handed to `persist` (the store keeps 24 hours); the current one is served from memory. Pure but
// for the clock it is given.

export interface MinuteMetrics {
  /** Start of the minute, ISO 8601 (UTC). */
  minute: string;
  requests: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  bytes: number;
  /** Milliseconds; null when the minute had no request. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Requests the router ended with an H-code (H12, H13, ...), by code. */
  errors: Record<string, number>;
  /** The raw histogram: bucket index → requests; bucket i holds times up to (1.05^(i+1) - 1) ms. */
  histogram: Record<string, number>;
}

interface Bucket {
  start: number;
  classes: number[];
  bytes: number;
  errors: Map<string, number>;
  /** Histogram: bucket index → count. */
  hist: Map<number, number>;
  count: number;
}

const GROWTH = Math.log(1.05);
const bucketOf = (ms: number) => Math.floor(Math.log(Math.max(0, ms) + 1) / GROWTH);
/** Upper edge of a bucket, in ms (what a percentile in it reports). */
const edgeOf = (i: number) => Math.max(0, Math.exp((i + 1) * GROWTH) - 1);

export const MINUTE = 60_000;
export const KEEP_MINUTES = 24 * 60;

export class RouterMetrics {
  private readonly current = new Map<string, Bucket>();

  constructor(private readonly o: { now?: () => number; persist?: (appId: string, m: MinuteMetrics) => void } = {}) {}

  private now(): number { return (this.o.now ?? Date.now)(); }

  /**
   * One finished request: its status (any 1xx–5xx; 499 counts as 4xx), time in ms, bytes sent, and its
   * H-code if it has one; `at`, when it was seen, lets a batch of requests share one clock reading.
   */
  record(appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined, code?: string, at = this.now()): void {
    const start = Math.floor(at / MINUTE) * MINUTE;
    let b = this.current.get(appId);
    if (b && b.start !== start) {
      this.o.persist?.(appId, summarize(b));
      b = undefined;
    }
    if (!b) {
      b = { start, classes: [0, 0, 0, 0, 0], bytes: 0, errors: new Map(), hist: new Map(), count: 0 };
      this.current.set(appId, b);
    }
    const cls = status ? Math.floor(status / 100) : 5;
    if (cls >= 1 && cls <= 5) b.classes[cls - 1]!++;
    b.bytes += bytes ?? 0;
    if (code && /^H\d\d$/.test(code)) b.errors.set(code, (b.errors.get(code) ?? 0) + 1);
    if (ms !== undefined && Number.isFinite(ms)) {
      const i = bucketOf(ms);
      b.hist.set(i, (b.hist.get(i) ?? 0) + 1);
      b.count++;
    }
  }

  /** The app's newest minute not yet handed to the store (the one in progress, or one just ended). */
  currentMinute(appId: string): MinuteMetrics | undefined {
    const b = this.current.get(appId);
    return b ? summarize(b) : undefined;
  }

  /** Hands every minute that has ended to `persist` (called on a timer, and at shutdown with `all`). */
  flush(all = false): void {
    const start = Math.floor(this.now() / MINUTE) * MINUTE;
    for (const [appId, b] of this.current) {
      if (all || b.start !== start) {
        this.o.persist?.(appId, summarize(b));
        this.current.delete(appId);
      }
    }
  }

  forget(appId: string): void {
    this.current.delete(appId);
  }
}

export function summarize(b: Bucket): MinuteMetrics {
  const pct = (p: number): number | null => {
    if (b.count === 0) return null;
    const rank = Math.ceil(p * b.count);
    let seen = 0;
    for (const i of [...b.hist.keys()].sort((x, y) => x - y)) {
      seen += b.hist.get(i)!;
      if (seen >= rank) return Math.round(edgeOf(i) * 10) / 10;
    }
    return null;
  };
  const [c1, c2, c3, c4, c5] = b.classes as [number, number, number, number, number];
  return {
    minute: new Date(b.start).toISOString(),
    requests: { '1xx': c1, '2xx': c2, '3xx': c3, '4xx': c4, '5xx': c5 },
    bytes: b.bytes, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99),
    errors: Object.fromEntries(b.errors), histogram: Object.fromEntries(b.hist),
  };
}

/**
 * Minutes merged into windows of `stepMs` (aligned to the epoch), oldest first: counts, bytes and
 * errors summed, percentiles computed from the summed histograms. Minutes stored before histograms were
 * kept add their counts but no times.
 */
export function mergeMinutes(minutes: MinuteMetrics[], stepMs: number): MinuteMetrics[] {
  const windows = new Map<number, Bucket>();
  for (const m of minutes) {
    const start = Math.floor(Date.parse(m.minute) / stepMs) * stepMs;
    let w = windows.get(start);
    if (!w) windows.set(start, (w = { start, classes: [0, 0, 0, 0, 0], bytes: 0, errors: new Map(), hist: new Map(), count: 0 }));
    Object.values(m.requests).forEach((n, i) => (w.classes[i]! += n));
    w.bytes += m.bytes;
    for (const [code, n] of Object.entries(m.errors ?? {})) w.errors.set(code, (w.errors.get(code) ?? 0) + n);
    for (const [i, n] of Object.entries(m.histogram ?? {})) {
      w.hist.set(Number(i), (w.hist.get(Number(i)) ?? 0) + n);
      w.count += n;
    }
  }
  return [...windows.values()].sort((x, y) => x.start - y.start).map(summarize);
}
