// Config var arguments and printing (pure): `K=V` parsing, shell quoting, `KEY: value` lines.

import { UsageError } from './errors.ts';
import { styledObject, type Paint } from './ux.ts';

/** `K=V` arguments → `{K: V}`; the value is everything after the first `=` (may hold `=` and spaces). */
export function parseKeyValues(args: readonly string[]): Record<string, string> {
  if (args.length === 0) {
    throw new UsageError('Usage: slipway config:set KEY1=VALUE1 [KEY2=VALUE2 ...]\nMust specify KEY and VALUE to set.');
  }
  const vars: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`${arg} is invalid. Must be in the format FOO=bar.`);
    vars[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return vars;
}

/** A POSIX-shell word for the value: bare when safe, else single-quoted. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_./:@%+,=-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function shellLines(vars: Record<string, string>): string[] {
  return Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}`);
}

/** `KEY:   value` lines aligned, keys in the order given. */
export function configLines(vars: Record<string, string>, paintKey?: Paint): string[] {
  return styledObject(Object.entries(vars), paintKey);
}
