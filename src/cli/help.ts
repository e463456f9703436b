// `slipway help`, `slipway help <topic|command>` and `--help`, generated from the commands' static flags and args.

import type { Command, FlagDef } from './command.ts';

function summary(c: Command): string {
  return c.description.split('\n')[0]!;
}

function usageLine(c: Command): string {
  const parts = [`$ slipway ${c.id}`];
  for (const a of c.args) parts.push(a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`);
  if (c.variadic && c.args.length > 0) parts[parts.length - 1] += '...';
  if (Object.values(c.flags).some((f) => !f.hidden)) parts.push('[FLAGS]');
  return parts.join(' ');
}

function flagColumn(name: string, def: FlagDef): string {
  const label = def.char ? `-${def.char}, --${name}` : `    --${name}`;
  if (def.kind === 'boolean') return label;
  return `${label}=${def.helpValue ?? (def.kind === 'integer' ? 'N' : name.toUpperCase())}`;
}

function twoColumns(rows: [string, string][], indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`.trimEnd());
}

export function commandHelp(c: Command, all: readonly Command[]): string {
  const out: string[] = [c.description.trim(), '', 'USAGE', `  ${usageLine(c)}`];
  if (c.args.length > 0) {
    out.push('', 'ARGUMENTS', ...twoColumns(c.args.map((a) => [a.name.toUpperCase(), a.description])));
  }
  const flags = Object.entries(c.flags).filter(([, f]) => !f.hidden);
  if (flags.length > 0) {
    const rows = flags.map(([name, def]): [string, string] => {
      let text = def.description;
      const others = (def.aliases ?? []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`));
      if (others.length > 0) text += ` (also ${others.join(', ')})`;
      if (def.kind !== 'boolean' && def.default !== undefined) text += ` [default: ${def.default}]`;
      return [flagColumn(name, def), text];
    });
    out.push('', 'FLAGS', ...twoColumns(rows));
  }
  if (c.aliases.length > 0) out.push('', 'ALIASES', ...c.aliases.map((a) => `  $ slipway ${a}`));
  if (c.examples.length > 0) out.push('', 'EXAMPLES', ...c.examples.map((e) => `  $ ${e}`));
  const subs = all.filter((s) => s.id.startsWith(`${c.id}:`));
  if (subs.length > 0) out.push('', 'COMMANDS', ...twoColumns(subs.map((s) => [s.id, summary(s)])));
  return out.join('\n');
}

/** The commands under a topic (`ps` → ps, ps:scale, ...). */
export function topicCommands(topic: string, all: readonly Command[]): Command[] {
  const inTopic = (name: string) => name === topic || name.startsWith(`${topic}:`);
  return all.filter((c) => inTopic(c.id) || c.aliases.some(inTopic));
}

export function overviewHelp(all: readonly Command[], version: string, host: string): string {
  const rows: [string, string][] = [...all]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((c) => [c.id, summary(c)]);
  rows.push(['server', 'run the Slipway platform (API and git, router, dynos)']);
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return [
    `Slipway ${version}: Heroku, self-hosted. This CLI talks to the platform at ${host} (SLIPWAY_HOST).`,
    '',
    'USAGE',
    '  $ slipway COMMAND [ARGS] [FLAGS]',
    '',
    'COMMANDS',
    ...twoColumns(rows),
    '',
    'Run `slipway help COMMAND` (or `slipway COMMAND --help`) for its arguments and flags.',
  ].join('\n');
}

export function topicHelp(topic: string, cmds: readonly Command[]): string {
  return [`Commands for ${topic}:`, '', ...twoColumns(cmds.map((c) => [c.id, summary(c)]))].join('\n');
}

/** Edit distance, to suggest the command a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, all: readonly Command[]): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const c of all) {
    for (const name of [c.id, ...c.aliases]) {
      const d = distance(word, name);
      if (!best || d < best.d) best = { id: name, d };
    }
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.id : undefined;
}
