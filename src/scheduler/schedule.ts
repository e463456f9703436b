// When Scheduler jobs are due (pure). Heroku Scheduler's three frequencies are cron expressions here:
// every 10 minutes `*/10 * * * *`, every hour at :MM `MM * * * *`, every day at HH:MM `MM HH * * *`
// (UTC); a five-field cron expression is our addition. Times are computed on a clock whose minute may be
// shortened (`minuteMs`, a test setting): virtual time = real time × 60 000 / minuteMs.

export class ScheduleError extends Error {}

export interface Cron { minute: Set<number>; hour: Set<number>; dom: Set<number>; month: Set<number>; dow: Set<number>; domAny: boolean; dowAny: boolean }

const FIELDS: [name: string, min: number, max: number][] = [['minute', 0, 59], ['hour', 0, 23], ['day of month', 1, 31], ['month', 1, 12], ['day of week', 0, 7]];

/** Parses `m h dom mon dow` (`*`, `*\/n`, `a-b`, `a-b/n`, lists); throws ScheduleError naming the field. */
export function parseCron(expr: string): Cron {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new ScheduleError(`A cron expression has five fields (minute hour day-of-month month day-of-week), e.g. "*/15 * * * *"; got ${JSON.stringify(expr.slice(0, 60))}.`);
  const sets = parts.map((p, i) => {
    const [name, min, max] = FIELDS[i]!;
    const out = new Set<number>();
    for (const item of p.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) throw new ScheduleError(`Cron ${name} field ${JSON.stringify(item.slice(0, 20))} is not *, a number, a range a-b or a step */n.`);
      const lo = m[1] === '*' ? min : Number(m[2]);
      const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (lo < min || hi > max || lo > hi || step < 1) throw new ScheduleError(`Cron ${name} field ${JSON.stringify(item)} is out of range ${min}-${max}.`);
      for (let v = lo; v <= hi; v += step) out.add(i === 4 && v === 7 ? 0 : v);
    }
    return out;
  });
  return { minute: sets[0]!, hour: sets[1]!, dom: sets[2]!, month: sets[3]!, dow: sets[4]!, domAny: parts[2] === '*', dowAny: parts[4] === '*' };
}

function matches(c: Cron, d: Date): boolean {
  if (!c.minute.has(d.getUTCMinutes()) || !c.hour.has(d.getUTCHours()) || !c.month.has(d.getUTCMonth() + 1)) return false;
  const dom = c.dom.has(d.getUTCDate());
  const dow = c.dow.has(d.getUTCDay());
  // cron's rule: with both day fields restricted, either matching is enough.
  if (!c.domAny && !c.dowAny) return dom || dow;
  return dom && dow;
}

/** The first whole minute strictly after `after` (virtual ms) that the expression matches; within ~4 years. */
export function nextCron(c: Cron, after: number): number {
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 4 * 366 * 24 * 60; i++, t += 60_000) {
    const d = new Date(t);
    if (!c.month.has(d.getUTCMonth() + 1)) { // skip to the next month
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - 60_000;
      continue;
    }
    if (!c.hour.has(d.getUTCHours())) { // skip to the next hour
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1) - 60_000;
      continue;
    }
    if (matches(c, d)) return t;
  }
  throw new ScheduleError('The cron expression never matches (e.g. 31 February).');
}

/** Heroku Scheduler's frequency (`10m`, `1h`, `1d`, with `--at` for the hour's minute or the day's time) as cron. */
export function everyToCron(every: string, at?: string): string {
  const atMatch = at === undefined ? undefined : /^(?:(\d{1,2})?:)?(\d{2})$/.exec(at.trim());
  if (at !== undefined && !atMatch) throw new ScheduleError(`--at ${JSON.stringify(at.slice(0, 20))} is not a time: use HH:MM (UTC) for 1d, or :MM / MM for 1h.`);
  const hh = atMatch?.[1] !== undefined ? Number(atMatch[1]) : 0;
  const mm = atMatch ? Number(atMatch[2]) : 0;
  if (hh > 23 || mm > 59) throw new ScheduleError(`--at ${at} is not a time of day (00:00 to 23:59).`);
  switch (every) {
    case '10m':
      if (at !== undefined) throw new ScheduleError('--at applies to 1h and 1d jobs; 10m jobs run every 10 minutes.');
      return '*/10 * * * *';
    case '1h':
      return `${mm} * * * *`;
    case '1d':
      return `${mm} ${hh} * * *`;
    default:
      throw new ScheduleError(`--every ${JSON.stringify(every.slice(0, 20))} is not a frequency: use 10m, 1h or 1d (or --cron "EXPR").`);
  }
}

/** How long a run may last: the gap between the expression's next two times (as Heroku stops a run after its interval), at most a day. */
export function runLimit(c: Cron, from: number): number {
  const a = nextCron(c, from);
  return Math.min(nextCron(c, a) - a, 24 * 3600_000);
}

/** The scheduler's clock: virtual ms from real ms and back. */
export function clock(minuteMs: number) {
  const k = 60_000 / minuteMs;
  return { virtual: (real: number) => real * k, real: (virtual: number) => virtual / k };
}
