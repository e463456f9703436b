// How `ps` prints dynos: one-off dynos first, then dynos grouped by command (pure: data and a clock in).

import { formatDate, when } from './time.ts';
import type { FormatOptions } from './releases-format.ts';
import type { Dyno } from './types.ts';
import { palette } from './ux.ts';

/** The N of `web.N`; 0 when the name has none. */
function processNumber(name: string): number {
  const m = /^[^.]+\.(\d+)$/.exec(name);
  return m ? Number.parseInt(m[1]!, 10) : 0;
}

const byNumber = (a: Dyno, b: Dyno) => processNumber(a.name) - processNumber(b.name);

/** `at 2026/11/25 14:05:00 +0000 (in ~ 19m)` for a crashed dyno's next boot. */
function restartAt(iso: string, o: FormatOptions): string {
  const at = new Date(iso);
  const now = o.now.getTime();
  const secs = Math.max(0, Math.round((at.getTime() - now) / 1000));
  const soon = secs < 60 ? `${secs}s` : secs < 3600 ? `${Math.round(secs / 60)}m` : `${Math.round(secs / 3600)}h`;
  return `at ${formatDate(at, o.offsetMinutes ?? -at.getTimezoneOffset())} (in ~ ${soon})`;
}

export function renderDynos(app: string, dynos: readonly Dyno[], o: FormatOptions): string[] {
  if (dynos.length === 0) return [`No dynos on ${app}`];
  const p = o.palette ?? palette(false);
  const state = (d: Dyno) => (d.state === 'up' ? p.green(d.state) : p.yellow(d.state));
  const since = (d: Dyno) => p.dim(when(d.updated_at, o));
  const sorted = [...dynos].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const groups: string[][] = [];

  const oneOffs = sorted.filter((d) => d.type === 'run').sort(byNumber);
  if (oneOffs.length > 0) {
    groups.push([
      `=== ${p.bold('run')}: one-off processes (${oneOffs.length})`,
      ...oneOffs.map((d) => `${d.name}${d.size ? ` (${p.cyan(d.size)})` : ''}: ${state(d)} ${since(d)}: ${d.command ?? ''}`.trimEnd()),
    ]);
  }

  const formation = sorted.filter((d) => d.type !== 'run');
  const commands = [...new Set(formation.map((d) => d.command ?? ''))];
  for (const command of commands) {
    const members = formation.filter((d) => (d.command ?? '') === command).sort(byNumber);
    const { type, size } = members[0]!;
    groups.push([
      `=== ${p.bold(type)}${size ? ` (${p.cyan(size)})` : ''}: ${command} (${members.length})`,
      ...members.map((d) => `${d.name}: ${state(d)} ${since(d)}${d.node ? ` on ${d.node}` : ''}${d.restart_at ? `, restarting ${restartAt(d.restart_at, o)}` : ''}`),
    ]);
  }
  return groups.flatMap((g, i) => (i === 0 ? g : ['', ...g]));
}
