// Heroku's list paging: `Range: <field> [start]..[end][; max=N][, order=asc|desc]` in, `Content-Range`,
// `Next-Range` and 206 out. Pure: parse a header, then page an already-loaded list.
import { PlatformError } from '../errors.ts';

export interface RangeSpec {
  field: string;
  start?: string;
  startExclusive: boolean;
  end?: string;
  max: number;
  order: 'asc' | 'desc';
}

export const DEFAULT_MAX = 200;
export const MAX_MAX = 1000;

export class RangeError416 extends PlatformError {
  constructor(message: string) { super(416, 'requested_range_not_satisfiable', message); }
}

/** Parses a Range header leniently (the CLI sends `version ..; max=15, order=desc` and `number ..; order=desc,max=1`). */
export function parseRange(header: string | undefined, fields: string[], defaultField: string): RangeSpec {
  const spec: RangeSpec = { field: defaultField, startExclusive: false, max: DEFAULT_MAX, order: 'asc' };
  const h = (header ?? '').trim();
  if (!h) return spec;
  const m = /^([\w.]+)\s*(\]|\[)?([^.;,\s]*)\s*\.\.\s*([^;,\s]*)\s*(.*)$/.exec(h);
  if (!m) throw new RangeError416(`Invalid Range header ${JSON.stringify(header)}: expected "<field> [start]..[end][; max=N, order=asc|desc]".`);
  const [, field, bracket, start, end, rest] = m as unknown as [string, string, string | undefined, string, string, string];
  if (!fields.includes(field)) throw new RangeError416(`Range field ${field} is not sortable here; use one of: ${fields.join(', ')}.`);
  spec.field = field;
  if (start) spec.start = start;
  if (end) spec.end = end;
  spec.startExclusive = bracket === ']';
  for (const part of rest.split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
    const [k, v] = part.split('=').map((x) => x.trim());
    if (k === 'max') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new RangeError416(`Range max must be a positive integer, got ${v}.`);
      spec.max = Math.min(n, MAX_MAX);
    } else if (k === 'order') {
      if (v !== 'asc' && v !== 'desc') throw new RangeError416(`Range order must be asc or desc, got ${v}.`);
      spec.order = v;
    }
  }
  return spec;
}

export interface Page<T> {
  items: T[];
  status: 200 | 206;
  contentRange: string;
  nextRange?: string;
}

/** Sorts, filters by start/end and cuts one page of `items`, keyed by `key(item, field)`. */
export function paginate<T>(items: T[], spec: RangeSpec, key: (item: T, field: string) => string | number): Page<T> {
  const cmp = (a: string | number, b: string | number) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)));
  const conv = (v: string, sample: string | number) => (typeof sample === 'number' ? Number(v) : v);
  let list = [...items].sort((a, b) => cmp(key(a, spec.field), key(b, spec.field)));
  if (spec.order === 'desc') list.reverse();
  const before = (a: string | number, b: string | number) => (spec.order === 'asc' ? cmp(a, b) < 0 : cmp(a, b) > 0);
  if (spec.start !== undefined) {
    list = list.filter((i) => {
      const k = key(i, spec.field);
      const s = conv(spec.start!, k);
      return spec.startExclusive ? before(s, k) : !before(k, s);
    });
  }
  if (spec.end !== undefined) list = list.filter((i) => { const k = key(i, spec.field); return !before(conv(spec.end!, k), k); });
  const page = list.slice(0, spec.max);
  const first = page[0] !== undefined ? key(page[0], spec.field) : '';
  const last = page.length ? key(page[page.length - 1]!, spec.field) : '';
  const suffix = `; max=${spec.max}${spec.order === 'desc' ? ', order=desc' : ''}`;
  const out: Page<T> = { items: page, status: 200, contentRange: `${spec.field} ${first}..${last}${suffix}` };
  if (list.length > page.length) {
    out.status = 206;
    out.nextRange = `${spec.field} ]${last}..${suffix}`;
  }
  return out;
}
