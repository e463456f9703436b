// ~/.netrc: read a machine's login/password, and add or remove machines while keeping the rest of the file
// (other machines, comments, layout, single-line or multi-line entries) byte for byte.

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NetrcEntry {
  /** The machine name; `undefined` for the `default` entry. */
  machine: string | undefined;
  login?: string;
  password?: string;
  account?: string;
  /** Where the entry's text starts and ends in the file (end = where the next entry or EOF starts). */
  start: number;
  end: number;
}

interface Token {
  value: string;
  start: number;
  end: number;
}

/** Tokens of a netrc file: whitespace separated, `"quoted \" values"`, `#` comments at line start, macdef bodies skipped. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let lineStart = true;
  let macroHeader = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      if (macroHeader) {
        // A macro body runs from the line after `macdef NAME` to the first empty line; it is not tokens.
        const blank = text.indexOf('\n\n', i);
        i = blank === -1 ? text.length : blank + 1;
        macroHeader = false;
      } else i++;
      lineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' && lineStart) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    lineStart = false;
    const start = i;
    let value = '';
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) value += text[i++];
    }
    tokens.push({ value, start, end: i });
    if (value === 'macdef') macroHeader = true;
  }
  return tokens;
}

export function parseNetrc(text: string): NetrcEntry[] {
  const tokens = tokenize(text);
  const entries: NetrcEntry[] = [];
  let current: NetrcEntry | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.value === 'machine' || t.value === 'default') {
      if (current) current.end = t.start;
      current = { machine: undefined, start: t.start, end: text.length };
      if (t.value === 'machine') current.machine = tokens[++i]?.value;
      entries.push(current);
    } else if (current && (t.value === 'login' || t.value === 'password' || t.value === 'account')) {
      const v = tokens[++i]?.value;
      if (v !== undefined) current[t.value] = v;
    } else if (current && t.value === 'macdef') {
      i++; // the macro's name
    }
  }
  return entries;
}

/** The entry for a machine, falling back to `default` like every netrc reader. */
export function findMachine(text: string, machine: string): NetrcEntry | undefined {
  const entries = parseNetrc(text);
  return entries.find((e) => e.machine === machine) ?? entries.find((e) => e.machine === undefined);
}

function quote(v: string): string {
  return /^[^\s"\\#]+$/.test(v) ? v : `"${v.replace(/["\\]/g, (m) => `\\${m}`)}"`;
}

/** The text without the named machines' entries. */
export function removeMachines(text: string, machines: readonly string[]): string {
  const doomed = parseNetrc(text)
    .filter((e) => e.machine !== undefined && machines.includes(e.machine))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of doomed) {
    // Keep a comment that follows the entry on its own lines: cut only the entry's tokens and the
    // whitespace after them, not lines starting with '#'.
    let end = e.end;
    const body = out.slice(e.start, end);
    const comment = body.search(/\n[ \t]*#/);
    if (comment !== -1) end = e.start + comment + 1;
    out = out.slice(0, e.start) + out.slice(end);
  }
  return out;
}

/** The text with each machine set to this login/password (replacing any entry it had), multi-line form. */
export function setMachines(text: string, machines: readonly string[], login: string, password: string): string {
  let out = removeMachines(text, machines);
  if (out !== '' && !out.endsWith('\n')) out += '\n';
  for (const m of machines) out += `machine ${quote(m)}\n  login ${quote(login)}\n  password ${quote(password)}\n`;
  return out;
}

/** `$HOME/.netrc`: the file git's HTTP client reads too. */
export function netrcPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME || homedir(), '.netrc');
}

export function readNetrc(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Writes the file readable by its owner only: it holds API keys. */
export function writeNetrc(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}
