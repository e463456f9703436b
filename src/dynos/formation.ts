// The formation: how many dynos of each process type, at which size. The one place it is written:
// scaling (`ps:scale`, `ps:type`) and following a release's slug when it goes live. The reconcile loop
// reads it as the desired state.
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/index.ts';
import type { FormationTable } from '../store/schema.ts';
import { DEFAULT_SIZE, DYNO_SIZES, findSize } from '../runtime/sizes.ts';

/** Most dynos a process type may be scaled to (Heroku's default cap for an app is 100). */
export const MAX_QUANTITY = 100;

export type FormationRow = FormationTable;

/** What app.json asks for a process type on the app's first deploy. */
export interface FormationEntry { quantity: number; size?: string }

/** One change asked for: a type (or a formation id), a quantity (`2`, `+1`, `-1`) and/or a size. */
export interface FormationUpdate { type?: unknown; quantity?: unknown; size?: unknown; dyno_size?: unknown }

/** A refused change; `id` is the API's error id. */
export class FormationError extends Error {
  constructor(readonly id: 'not_found' | 'invalid_params', message: string) { super(message); }
}

export class Formation {
  constructor(private readonly db: Db) {}

  list(appId: string): Promise<FormationRow[]> {
    return this.db.selectFrom('formation').selectAll().where('app_id', '=', appId).orderBy('type').execute();
  }

  /** The size the release phase's dyno runs at (`ps:type release=SIZE`), if set. */
  async size(appId: string, type: string): Promise<string | undefined> {
    return (await this.db.selectFrom('formation').select('size').where('app_id', '=', appId).where('type', '=', type).executeTakeFirst())?.size;
  }

  /**
   * Applies `ps:scale`/`ps:type` changes: all are checked before any is written, then written in one
   * transaction. Returns the changed rows, each told to `changed` once written with its changed fields'
   * old values. Throws FormationError naming the problem.
   */
  async scale(appId: string, appName: string, updates: FormationUpdate[], changed?: (row: FormationRow, previous: Partial<FormationRow>) => void): Promise<FormationRow[]> {
    let rows: FormationRow[] = [];
    const planned = await this.db.transaction().execute(async (trx) => {
      rows = await trx.selectFrom('formation').selectAll().where('app_id', '=', appId).execute();
      const planned = updates.map((u, i) => planUpdate(rows, u, i, appName));
      const t = new Date().toISOString();
      for (const p of planned) {
        p.updated_at = t;
        await trx.updateTable('formation').set({ quantity: p.quantity, size: p.size, updated_at: t }).where('id', '=', p.id).execute();
      }
      return planned;
    });
    for (const p of planned) {
      const was = rows.find((r) => r.id === p.id)!;
      changed?.(p, Object.fromEntries((['quantity', 'size'] as const).filter((k) => was[k] !== p[k]).map((k) => [k, was[k]])));
    }
    return planned;
  }

  /**
   * Keeps the formation in step with a live release's process types: the first gets app.json's
   * formation (`initial`), else web=1 (when there is a web type) and every other type at 0; later ones
   * keep quantities as scaled, add new types at 0 and drop types the slug no longer has.
   */
  async follow(appId: string, processTypes: Record<string, string>, initial: Record<string, FormationEntry> = {}): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('formation').select(['id', 'type']).where('app_id', '=', appId).execute();
      const first = rows.length === 0;
      const t = new Date().toISOString();
      for (const type of Object.keys(processTypes)) {
        // `release` gets a row too (at 0: it runs per release, never as formation), as on Heroku, so
        // `ps:type release=...` sizes the release phase's dyno.
        if (rows.some((r) => r.type === type)) continue;
        const fromAppJson = first ? initial[type] : undefined;
        const quantity = fromAppJson ? fromAppJson.quantity : first && type === 'web' ? 1 : 0;
        await trx.insertInto('formation').values({
          id: randomUUID(), app_id: appId, type, quantity, size: fromAppJson?.size ?? DEFAULT_SIZE, created_at: t, updated_at: t,
        }).execute();
      }
      const gone = rows.filter((r) => !(r.type in processTypes)).map((r) => r.id);
      if (gone.length) await trx.deleteFrom('formation').where('id', 'in', gone).execute();
    });
  }

  /**
   * At start: the formation follows the live release, as going live would have made it. A platform
   * killed between a release's commit and its going live (a first deploy: no web row yet) is made whole.
   */
  async followLive(appId: string): Promise<void> {
    const live = await this.db.selectFrom('releases').select(['slug_id', 'formation']).where('app_id', '=', appId)
      .where('status', '=', 'succeeded').where('slug_id', 'is not', null).orderBy('version', 'desc').limit(1).executeTakeFirst();
    const slug = live && await this.ofRelease(live);
    if (slug) await this.follow(appId, slug.processTypes, slug.initial);
  }

  /** A release's slug's process types and the app.json formation it carries (going live follows them). */
  async ofRelease(release: { slug_id: string | null; formation: string | null }): Promise<{ processTypes: Record<string, string>; initial: Record<string, FormationEntry> } | undefined> {
    if (!release.slug_id) return undefined;
    const slug = await this.db.selectFrom('slugs').select('process_types').where('id', '=', release.slug_id).executeTakeFirst();
    if (!slug) return undefined;
    return { processTypes: JSON.parse(slug.process_types), initial: release.formation ? JSON.parse(release.formation) : {} };
  }
}

/** One update checked against the current rows: the row it changes with its new quantity and size. */
function planUpdate(rows: FormationRow[], u: FormationUpdate, i: number, appName: string): FormationRow {
  const row = rows.find((r) => r.type === u.type || r.id === u.type);
  if (!row) {
    const known = rows.map((r) => r.type).join(', ') || 'none yet (push code first)';
    throw new FormationError('not_found', `Couldn't find that process type (${String(u.type)}). Process types of ${appName}: ${known}.`);
  }
  let quantity = row.quantity;
  if (u.quantity !== undefined) {
    const q = String(u.quantity).trim();
    if (!/^[+-]?\d+$/.test(q)) throw new FormationError('invalid_params', `updates[${i}].quantity must be a number of dynos (or +N / -N), got ${JSON.stringify(u.quantity)}.`);
    quantity = /^[+-]/.test(q) ? row.quantity + Number(q) : Number(q);
    if (quantity < 0) quantity = 0;
    if (quantity > MAX_QUANTITY) throw new FormationError('invalid_params', `Cannot scale ${row.type} to ${quantity}: at most ${MAX_QUANTITY} dynos per process type.`);
    if (row.type === 'release' && quantity > 0) {
      throw new FormationError('invalid_params', 'The release process type runs once per release (the release phase), not as formation dynos; it cannot be scaled. ps:type release=SIZE sets its size.');
    }
  }
  let size = row.size;
  const sizeName = typeof u.size === 'string' ? u.size : (u.dyno_size as { name?: string } | undefined)?.name;
  if (sizeName !== undefined) {
    const found = findSize(sizeName);
    if (!found) throw new FormationError('invalid_params', `Unknown dyno size ${sizeName}. Sizes: ${DYNO_SIZES.map((x) => x.display).join(', ')}.`);
    size = found.name;
  }
  return { ...row, quantity, size };
}
