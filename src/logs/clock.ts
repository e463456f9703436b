// The microsecond wall clock logplex stamps lines with. `Date.now()` only has milliseconds, so the
// clock anchors the wall time once and advances it with `process.hrtime` (monotonic, nanoseconds).
// If the wall clock and the anchored clock drift more than a second apart (NTP step, suspend), it
// re-anchors; per-app ordering is kept by the caller (`Logplex` never stamps a line earlier than the
// app's previous one).

/** Returns microseconds since the Unix epoch. */
export type MicroClock = () => bigint;

export function createMicroClock(maxDriftMicros = 1_000_000n): MicroClock {
  let anchorWall = BigInt(Date.now()) * 1000n;
  let anchorHr = process.hrtime.bigint();
  return () => {
    const now = anchorWall + (process.hrtime.bigint() - anchorHr) / 1000n;
    const wall = BigInt(Date.now()) * 1000n;
    const drift = now > wall ? now - wall : wall - now;
    if (drift <= maxDriftMicros) return now;
    anchorWall = wall;
    anchorHr = process.hrtime.bigint();
    return wall;
  };
}
