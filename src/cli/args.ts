// The argv parser: `-a demo`, `-ademo`, `--app demo`, `--app=demo`, boolean flags, `--`, variadic args.

import type { ArgDef, FlagDef, FlagDefs } from './command.ts';
import { UsageError } from './errors.ts';

export interface ParseSpec {
  flags: FlagDefs;
  args: ArgDef[];
  variadic: boolean;
  /** Unknown flag-looking tokens become positional values instead of an error. */
  passthrough: boolean;
}

export interface Parsed {
  flags: Record<string, string | number | boolean | undefined>;
  /** Declared args by name. */
  args: Record<string, string | undefined>;
  argv: string[];
  /** `--help` / `-h` was given. */
  help: boolean;
}

function lookupTable(flags: FlagDefs): { long: Map<string, string>; short: Map<string, string> } {
  const long = new Map<string, string>();
  const short = new Map<string, string>();
  for (const [name, def] of Object.entries(flags)) {
    long.set(name, name);
    if (def.char) short.set(def.char, name);
    for (const alias of def.aliases ?? []) (alias.length === 1 ? short : long).set(alias, name);
  }
  return { long, short };
}

function convert(name: string, def: FlagDef, raw: string): string | number {
  if (def.kind !== 'integer') return raw;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`Expected an integer for --${name} but received: ${raw}`);
  return Number.parseInt(raw, 10);
}

export function parseArgs(argv: readonly string[], spec: ParseSpec): Parsed {
  const { long, short } = lookupTable(spec.flags);
  const flags: Parsed['flags'] = {};
  const positional: string[] = [];
  let help = false;

  const set = (name: string, inline: string | undefined, next: () => string | undefined, shown: string) => {
    const def = spec.flags[name]!;
    if (def.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`Flag ${shown} does not take a value`);
      flags[name] = true;
      return;
    }
    const value = inline ?? next();
    if (value === undefined) throw new UsageError(`Flag ${shown} expects a value`);
    flags[name] = convert(name, def, value);
  };

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    const next = () => (i + 1 < argv.length ? argv[++i] : undefined);
    if (token === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      const key = eq === -1 ? token.slice(2) : token.slice(2, eq);
      const inline = eq === -1 ? undefined : token.slice(eq + 1);
      const name = long.get(key);
      if (name) set(name, inline, next, `--${key}`);
      else if (key === 'help') help = true;
      else if (spec.passthrough) positional.push(token);
      else throw new UsageError(`Nonexistent flag: --${key}`);
      continue;
    }
    if (token.startsWith('-') && token.length > 1 && !/^-\d/.test(token)) {
      const key = token[1]!;
      const rest = token.slice(2);
      const name = short.get(key);
      if (name) {
        const def = spec.flags[name]!;
        const inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
        if (def.kind === 'boolean' && inline !== undefined) {
          if (spec.passthrough) positional.push(token);
          else throw new UsageError(`Flag -${key} does not take a value`);
        } else set(name, inline, next, `-${key}`);
      } else if (key === 'h' && rest === '') help = true;
      else if (spec.passthrough) positional.push(token);
      else throw new UsageError(`Nonexistent flag: ${token}`);
      continue;
    }
    positional.push(token);
  }

  if (!spec.variadic && positional.length > spec.args.length) {
    throw new UsageError(`Unexpected argument: ${positional[spec.args.length]}`);
  }
  const args: Parsed['args'] = {};
  spec.args.forEach((a, n) => (args[a.name] = positional[n]));

  for (const [name, def] of Object.entries(spec.flags)) {
    if (flags[name] !== undefined) continue;
    if (def.kind === 'boolean') flags[name] = false;
    else if (def.default !== undefined) flags[name] = def.default;
  }
  if (!help) {
    const missing = spec.args.filter((a, n) => a.required && positional[n] === undefined);
    if (missing.length > 0) {
      throw new UsageError(`Missing required argument${missing.length > 1 ? 's' : ''}: ${missing.map((a) => a.name.toUpperCase()).join(', ')}`);
    }
  }
  return { flags, args, argv: positional, help };
}
