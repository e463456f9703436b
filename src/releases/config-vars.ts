// Heroku's rules for config vars (pure): names, values and the total size. Each problem is named with
// what to do about it, and a whole change is checked before anything is stored.
import { PlatformError } from '../errors.ts';

/** Heroku's limit: all keys plus all values of an app together. */
export const CONFIG_MAX_BYTES = 32 * 1024;

export class ConfigVarError extends PlatformError {
  constructor(message: string) { super(422, 'invalid_params', message); }
}

/**
 * A name Heroku accepts: word characters only (`^\w+$` in its schema; ASCII letters, digits and `_`,
 * as its docs ask, so every language can read it), not starting with a double underscore.
 */
export function configNameProblem(name: string): string | undefined {
  if (name === '') return 'Config var names cannot be empty.';
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    return `Config var name ${JSON.stringify(name)} is invalid: use only letters, digits and underscores (no spaces, dashes or dots).`;
  }
  if (name.startsWith('__')) return `Config var name ${name} is invalid: names may not begin with a double underscore.`;
  return undefined;
}

/** Values are strings; a NUL byte cannot be put in a process environment. */
export function configValueProblem(name: string, value: unknown): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'string') return `Config var ${name} must be a string (or null to remove it), got ${typeof value === 'object' ? 'an object' : typeof value}.`;
  if (value.includes('\0')) return `Config var ${name} contains a NUL byte, which no process environment can hold; remove it.`;
  return undefined;
}

/** Bytes counted against the 32 KB limit: UTF-8 keys plus values. */
export function configSize(vars: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(vars)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Checks a change (`null` removes) and returns it typed; throws ConfigVarError naming the first problem. */
export function checkChanges(body: unknown): Record<string, string | null> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ConfigVarError('Expected a JSON object of config vars, e.g. {"KEY": "value"} (null removes a key).');
  }
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const problem = configNameProblem(k) ?? configValueProblem(k, v);
    if (problem) throw new ConfigVarError(problem);
    out[k] = v as string | null;
  }
  return out;
}

/** The vars after applying `changes`; throws when the result is past the size limit. */
export function applyChanges(current: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const next = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  const size = configSize(next);
  if (size > CONFIG_MAX_BYTES && size > configSize(current)) {
    throw new ConfigVarError(
      `Config vars would take ${formatKb(size)} (keys plus values); the limit is 32 KB per app. Remove or shorten some vars first.`,
    );
  }
  return next;
}

const formatKb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** Heroku's release description for a change: `Set A, B config vars`, `Remove C config vars`. */
export function describeChanges(changes: Record<string, string | null>): string {
  const set = Object.keys(changes).filter((k) => changes[k] !== null).sort();
  const removed = Object.keys(changes).filter((k) => changes[k] === null).sort();
  const parts = [set.length ? `Set ${set.join(', ')} config vars` : '', removed.length ? `Remove ${removed.join(', ')} config vars` : ''];
  return parts.filter(Boolean).join(', ');
}
