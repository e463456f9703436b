// Where a deploy's time goes: each phase (receive, checkout, each buildpack's detect / fill / compile and
// its container's start, slug pack, upload, release, and after it the dyno's start and the first answer
// through the router) with its start and end, kept with the build (`builds.phases`, JSON). Nothing of it
// is printed in the push; `npm run bench` prints the breakdown of its median run.

export interface Phase {
  name: string;
  /** ms since the epoch */
  start: number;
  end: number;
}

/** How many phases one deploy keeps at most (a build of many buildpacks makes a few each). */
const MAX_PHASES = 64;

export class Phases {
  readonly list: Phase[] = [];

  add(name: string, start: number, end = Date.now()): void {
    if (this.list.length < MAX_PHASES) this.list.push({ name: name.slice(0, 80), start, end });
  }

  /** Runs `f`, recording it as phase `name` (ended even when it throws). */
  async time<T>(name: string, f: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await f();
    } finally {
      this.add(name, start);
    }
  }

  toJSON(): Phase[] {
    return this.list;
  }
}

/** Reads a stored `builds.phases`; anything but a list of phases reads as none. */
export function parsePhases(text: string | null): Phase[] {
  try {
    const v = JSON.parse(text ?? '[]') as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter((p): p is Phase => typeof p?.name === 'string' && Number.isFinite(p.start) && Number.isFinite(p.end));
  } catch {
    return [];
  }
}

/**
 * The breakdown as printed: each phase's start after the deploy's first and its duration, in the
 * order they started, then what no phase covers between the first start and the last end.
 */
export function formatBreakdown(phases: Phase[]): string[] {
  if (phases.length === 0) return ['(no phases recorded)'];
  const sorted = [...phases].sort((a, b) => a.start - b.start || b.end - a.end);
  const t0 = sorted[0]!.start;
  const t1 = Math.max(...sorted.map((p) => p.end));
  const width = Math.max(...sorted.map((p) => p.name.length));
  const lines = sorted.map((p) => `  ${p.name.padEnd(width)}  at ${ms(p.start - t0).padStart(8)}  took ${ms(p.end - p.start).padStart(8)}`);
  lines.push(`  ${'not in any phase'.padEnd(width)}              took ${ms(uncovered(sorted, t0, t1)).padStart(8)}`);
  lines.push(`  ${'total'.padEnd(width)}              took ${ms(t1 - t0).padStart(8)}`);
  return lines;
}

/** Time between `t0` and `t1` that no phase covers. */
export function uncovered(phases: Phase[], t0: number, t1: number): number {
  let gap = 0;
  let reached = t0;
  for (const p of [...phases].sort((a, b) => a.start - b.start)) {
    if (p.start > reached) gap += p.start - reached;
    reached = Math.max(reached, p.end);
  }
  return gap + Math.max(0, t1 - reached);
}

const ms = (n: number) => `${Math.round(n)} ms`;
