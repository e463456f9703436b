// Two brakes on callers. Failed password logins: after a few, each further try for that email waits
// longer, and past a limit the email's password logins are refused for a while (the key of a logged-in
// session keeps working). API calls: a per-account token bucket as Heroku's (4500 calls, refilled at
// 75 a minute); `RateLimit-Remaining` says what is left and an empty bucket answers 429.
// Both live in memory and remember which entries changed, so throttle-store.ts saves those to the store
// (and reads them back at start): a restart does not hand an attacker a fresh count or a full bucket.

export interface LoginThrottleOptions {
  /** Failures before tries are slowed (default 3). */
  slowAfter?: number;
  /** Failures before logins are refused (default 10). */
  lockAfter?: number;
  /** How long a refusal lasts (default 15 minutes). */
  lockMs?: number;
  /** The wait added per failure past `slowAfter` (default 1 s, at most 8 s). */
  stepMs?: number;
  clock?: () => number;
}

interface Failures { count: number; last: number }

/** Entries kept at most (the oldest go first): an attacker cycling emails cannot grow it without bound. */
const MAX_TRACKED = 10_000;

/** One saved entry: a throttle's key, its amount (failures, or tokens left) and when (ms since the epoch). */
export interface ThrottleEntry { key: string; amount: number; at: number }

/**
 * A Map that remembers which keys were set or deleted since `changes()` was last called (at most as many
 * as calls made in between: the store takes them every second).
 */
class ChangedMap<V> extends Map<string, V> {
  private readonly touched = new Set<string>();
  override set(key: string, value: V): this {
    this.touched.add(key);
    return super.set(key, value);
  }
  override delete(key: string): boolean {
    this.touched.add(key);
    return super.delete(key);
  }
  mark(key: string): void {
    this.touched.add(key);
  }
  /** The keys changed since the last call, each with its value now (undefined: deleted). */
  changes(): [string, V | undefined][] {
    const out = [...this.touched].map((k): [string, V | undefined] => [k, this.get(k)]);
    this.touched.clear();
    return out;
  }
}

export class LoginThrottle {
  private readonly failures = new ChangedMap<Failures>();
  private readonly clock: () => number;

  constructor(private readonly o: LoginThrottleOptions = {}) {
    this.clock = o.clock ?? Date.now;
  }

  private get lockMs() { return this.o.lockMs ?? 15 * 60_000; }

  /** Before a try: how long to wait first, or how long logins stay refused. */
  before(key: string): { waitMs: number } | { refusedForMs: number } {
    const f = this.current(key);
    if (!f) return { waitMs: 0 };
    if (f.count >= (this.o.lockAfter ?? 10)) return { refusedForMs: f.last + this.lockMs - this.clock() };
    const over = f.count - (this.o.slowAfter ?? 3);
    return { waitMs: over < 0 ? 0 : Math.min((over + 1) * (this.o.stepMs ?? 1000), 8000) };
  }

  /** Records a failure; returns how many there have been in a row. */
  failed(key: string): number {
    const f = this.current(key) ?? { count: 0, last: 0 };
    this.failures.delete(key);
    if (this.failures.size >= MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(key, { count: f.count + 1, last: this.clock() });
    return f.count + 1;
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  /** The entries changed since the last call, for the store. */
  changes(): (ThrottleEntry | { key: string; gone: true })[] {
    return this.failures.changes().map(([key, f]) => (f ? { key, amount: f.count, at: f.last } : { key, gone: true }));
  }

  /** Takes back saved entries (those whose refusal has passed are dropped). */
  restore(entries: ThrottleEntry[]): void {
    for (const e of entries) {
      if (this.failures.size >= MAX_TRACKED) break;
      if (this.clock() - e.at < this.lockMs && e.amount > 0) this.failures.set(e.key, { count: Math.floor(e.amount), last: e.at });
    }
  }

  /** The failures still counting (they are forgotten once a refusal's time has passed since the last). */
  private current(key: string): Failures | undefined {
    const f = this.failures.get(key);
    if (f && this.clock() - f.last >= this.lockMs) {
      this.failures.delete(key);
      return undefined;
    }
    return f;
  }
}

export interface RateLimitOptions {
  /** The bucket's size (default 4500, Heroku's). */
  capacity?: number;
  /** Tokens added per minute (default 75, Heroku's 4500 an hour). */
  perMinute?: number;
  clock?: () => number;
}

export class RateLimiter {
  private readonly buckets = new ChangedMap<{ tokens: number; at: number }>();
  private readonly clock: () => number;
  readonly capacity: number;

  constructor(private readonly o: RateLimitOptions = {}) {
    this.clock = o.clock ?? Date.now;
    this.capacity = o.capacity ?? 4500;
  }

  /** What is left for the account, without spending any. */
  remaining(id: string): number {
    return Math.floor(this.bucket(id).tokens);
  }

  /** Spends one call; false when the bucket is empty (the caller answers 429). */
  take(id: string): boolean {
    const b = this.bucket(id);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    this.buckets.mark(id);
    return true;
  }

  /** The buckets spent from or forgotten since the last call, for the store. */
  changes(): (ThrottleEntry | { key: string; gone: true })[] {
    return this.buckets.changes().map(([key, b]) => (b ? { key, amount: b.tokens, at: b.at } : { key, gone: true }));
  }

  /** Takes back saved buckets (refilled since: they are full, and not kept). */
  restore(entries: ThrottleEntry[]): void {
    for (const e of entries) {
      if (this.buckets.size >= MAX_TRACKED) break;
      const b = { tokens: Math.max(0, Math.min(this.capacity, e.amount)), at: Math.min(e.at, this.clock()) };
      this.buckets.set(e.key, b);
      if (this.bucket(e.key).tokens >= this.capacity) this.buckets.delete(e.key);
    }
  }

  private bucket(id: string) {
    const t = this.clock();
    let b = this.buckets.get(id);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED) this.dropFull();
      b = { tokens: this.capacity, at: t };
      this.buckets.set(id, b);
    }
    b.tokens = Math.min(this.capacity, b.tokens + ((t - b.at) / 60_000) * (this.o.perMinute ?? 75));
    b.at = t;
    return b;
  }

  /** Forgets the buckets that have refilled (a forgotten bucket starts full, as they are). */
  private dropFull(): void {
    for (const [id, b] of this.buckets) {
      if (b.tokens + ((this.clock() - b.at) / 60_000) * (this.o.perMinute ?? 75) >= this.capacity) this.buckets.delete(id);
    }
  }
}
