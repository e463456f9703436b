// How `releases` and `releases:info` print releases (pure: data and a clock in, lines out).

import { when, type TimeOptions } from './time.ts';
import type { Release } from './types.ts';
import { palette, styledObject, table, type Palette, type Paint } from './ux.ts';

/** The status note appended to a description, as the heroku CLI words it. */
export function statusNote(status: string | undefined): string {
  switch (status) {
    case 'pending':
      return 'release command executing';
    case 'failed':
      return 'release command failed';
    case 'expired':
      return 'release expired';
    default:
      return '';
  }
}

function statusPaint(status: string | undefined, p: Palette): Paint {
  if (status === 'failed') return p.red;
  if (status === 'pending') return p.yellow;
  if (status === 'expired') return p.dim;
  return p.green;
}

/** `Deploy 582fc95` or `Deploy 582fc95 release command failed`. */
export function releaseChange(r: Release, p: Palette = palette(false)): string {
  const note = statusNote(r.status);
  return note ? `${r.description ?? ''} ${statusPaint(r.status, p)(note)}`.trim() : (r.description ?? '');
}

export interface FormatOptions extends TimeOptions {
  palette?: Palette;
}

/** `=== A Releases - Current: vN` and one aligned row per release, newest first. */
export function renderReleases(app: string, releases: readonly Release[], o: FormatOptions): string[] {
  if (releases.length === 0) return [`${app} has no releases.`];
  const p = o.palette ?? palette(false);
  const current = releases.find((r) => r.current === true);
  const header = `=== ${app} Releases${current ? ` - Current: v${current.version}` : ''}`;
  const sorted = [...releases].sort((a, b) => b.version - a.version);
  const rows = sorted.map((r) => {
    const note = statusNote(r.status);
    const paint = statusPaint(r.status, p);
    const desc = r.description ?? '';
    return [
      { text: `v${r.version}`, paint },
      // The note keeps its own colour; the description cell is measured without escape codes.
      { text: note ? `${desc} ${note}`.trim() : desc, paint: note ? () => releaseChange(r, p) : undefined },
      { text: r.user?.email ?? '', paint: p.green },
      { text: when(r.created_at, o) },
    ];
  });
  return [header, ...table(rows)];
}

/** `=== Release vN` and its fields. */
export function renderReleaseInfo(r: Release, o: FormatOptions): string[] {
  const p = o.palette ?? palette(false);
  const entries: [string, string][] = [];
  if (r.addon_plan_names && r.addon_plan_names.length > 0) entries.push(['Add-ons', r.addon_plan_names.join(', ')]);
  entries.push(['By', r.user?.email ?? '']);
  entries.push(['Change', releaseChange(r, p)]);
  if (r.eligible_for_rollback !== undefined) entries.push(['Eligible for Rollback?', r.eligible_for_rollback ? 'Yes' : 'No']);
  entries.push(['When', when(r.created_at, o)]);
  return [`=== Release v${r.version}`, ...styledObject(entries)];
}
