// Apps: an app's lifecycle — create (a name and a git repository), rename, maintenance mode, and destroy
// with everything it owns (add-ons, dynos, repository, rows, buffered logs and drains). Its custom domains,
// SNI endpoints and labs features live beside it (domains.ts, certs.ts, features.ts). The rows are the
// store's; what the other components keep about an app is reached through the small interfaces below.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { isUniqueViolation, now, takeTurn } from '../store/index.ts';
import type { AppsTable } from '../store/schema.ts';
import { appNameProblem, generateAppName } from './names.ts';

export { Domains, hostnameProblem, type DomainRow } from './domains.ts';
export { SniEndpoints, type SniEndpointRow } from './certs.ts';
export { Features } from './features.ts';
export { appNameProblem, generateAppName } from './names.ts';

export type AppRow = AppsTable;
export interface User { id: string; email: string }

/** What the dyno manager keeps per app: its name (routing), maintenance mode, its dynos. */
export interface AppDynos {
  track(appId: string, name: string): void;
  renamed(appId: string, name: string): void;
  setMaintenance(appId: string, on: boolean): void;
  /** Stops the app's dynos and forgets it. */
  untrack(appId: string): Promise<void>;
}

export interface AppsOptions {
  db: Db;
  /** The one stack this platform runs. */
  stack: string;
  /** The app's git repository, keyed by the app's id. */
  repos: { create(appId: string): Promise<void>; remove(appId: string): Promise<void> };
  dynos: AppDynos;
  /** Destroys the app's add-ons ("including all add-ons", as Heroku's apps:destroy says). */
  addons: { destroyForApp(appId: string, user: User): Promise<void> };
  /** Drops what is kept in memory for a destroyed app (its log buffer, its drains). */
  forget: (appId: string) => void;
  /** Gives the destroyed app's uid back to the runtime (once its dynos are stopped). */
  releaseTenant?: (appId: string) => Promise<void>;
  /** How many apps one account may own (SLIPWAY_APPS_PER_ACCOUNT; default APPS_PER_ACCOUNT). */
  maxPerAccount?: number;
  random?: () => number;
  /** Told of each rename or maintenance change (`previous`: the changed fields' old values); must return at once (app webhooks). */
  onChange?: (action: 'update', app: AppRow, user: User | undefined, previous: Partial<AppRow>) => void;
}

/** Heroku's default for an account: 100 apps. */
export const APPS_PER_ACCOUNT = 100;

export class Apps {
  constructor(private readonly o: AppsOptions) {}

  /** An app by id or name; a 404 naming the problem when there is none. */
  async find(idOrName: string): Promise<AppRow> {
    const a = await this.o.db.selectFrom('apps').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    if (!a) throw notFound('app', "Couldn't find that app.");
    return a;
  }

  /** An app by its exact name (git URLs name apps), or undefined. */
  byName(name: string): Promise<{ id: string; name: string } | undefined> {
    return this.o.db.selectFrom('apps').select(['id', 'name']).where('name', '=', name).executeTakeFirst();
  }

  /** `{id, name}` of each app asked for; an app destroyed meanwhile is named `unknown`. */
  async refs(ids: string[]): Promise<Map<string, { id: string; name: string }>> {
    const unique = [...new Set(ids)];
    const rows = unique.length === 0 ? [] : await this.o.db.selectFrom('apps').select(['id', 'name']).where('id', 'in', unique).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return new Map(unique.map((id) => [id, byId.get(id) ?? { id, name: 'unknown' }]));
  }

  list(): Promise<AppRow[]> {
    return this.o.db.selectFrom('apps').selectAll().orderBy('name').execute();
  }

  /** Bytes of the slug the app's current release runs, or null before its first release. */
  async slugSize(appId: string): Promise<number | null> {
    const row = await this.o.db.selectFrom('releases').leftJoin('slugs', 'slugs.id', 'releases.slug_id')
      .select('slugs.size').where('releases.app_id', '=', appId).where('releases.status', '=', 'succeeded')
      .orderBy('releases.version', 'desc').limit(1).executeTakeFirst();
    return row?.size ?? null;
  }

  /** A 422 unless `stack` (a name or `{name}`) names the one stack this platform runs. */
  checkStack(stack: string | { name?: string }): void {
    if ((typeof stack === 'string' ? stack : stack.name) !== this.o.stack) {
      throw invalid(`Stack ${JSON.stringify(stack)} is not available; this platform runs ${this.o.stack}.`);
    }
  }

  /** A new app owned by `owner` (or by `team`, made by `owner`); a Heroku-style name is generated when none is given. */
  async create(owner: User, o: { name?: string | null; stack?: string | { name?: string } | null; team?: { id: string; name: string } } = {}): Promise<AppRow> {
    if (o.stack != null) this.checkStack(o.stack);
    let name: string;
    if (!o.name) {
      do name = generateAppName(this.o.random);
      while (await this.byName(name));
    } else {
      const problem = appNameProblem(o.name);
      if (problem) throw invalid(problem);
      name = o.name;
    }
    if (await this.byName(name)) throw invalid(`Name ${name} is already taken.`);
    const t = now();
    const row: AppRow = {
      id: randomUUID(), name, owner_id: owner.id, team_id: o.team?.id ?? null, stack: this.o.stack, maintenance: 0, buildpack_provided_description: null,
      released_at: null, created_at: t, updated_at: t,
    };
    await this.o.repos.create(row.id);
    const max = this.o.maxPerAccount ?? APPS_PER_ACCOUNT;
    try {
      // Counted and inserted in one transaction: apps created side by side cannot pass the limit together.
      await this.o.db.transaction().execute(async (trx) => {
        await takeTurn(trx, o.team ? o.team.id : owner.id);
        // A team's apps count against the team, an account's personal apps against the account.
        const count = trx.selectFrom('apps').select((eb) => eb.fn.countAll<number>().as('n'));
        const owned = await (o.team ? count.where('team_id', '=', o.team.id) : count.where('owner_id', '=', owner.id).where('team_id', 'is', null)).executeTakeFirstOrThrow();
        if (Number(owned.n) >= max) {
          throw invalid(`You've reached the limit of ${max} apps for this ${o.team ? `team (${o.team.name})` : 'account'} (SLIPWAY_APPS_PER_ACCOUNT). Delete some apps (apps:destroy) or ask the operator to raise it.`);
        }
        await trx.insertInto('apps').values(row).execute();
      });
    } catch (err) {
      await this.o.repos.remove(row.id);
      if (isUniqueViolation(err)) throw invalid(`Name ${name} is already taken.`);
      throw err;
    }
    this.o.dynos.track(row.id, row.name);
    return row;
  }

  /** Renames the app and/or turns maintenance mode on or off. */
  async update(a: AppRow, o: { name?: string; maintenance?: boolean; user?: User }): Promise<AppRow> {
    const next = { ...a };
    if (o.maintenance !== undefined) next.maintenance = o.maintenance ? 1 : 0;
    const rename = o.name !== undefined && o.name !== a.name;
    if (rename) {
      const problem = appNameProblem(o.name);
      if (problem) throw invalid(problem);
      if (await this.byName(o.name!)) throw invalid(`Name ${o.name} is already taken.`);
      // The repository, slugs and dynos are keyed by the app's id, so only the name moves.
      next.name = o.name!;
    }
    next.updated_at = now();
    await this.o.db.updateTable('apps').set({ name: next.name, maintenance: next.maintenance, updated_at: next.updated_at }).where('id', '=', a.id).execute();
    if (rename) this.o.dynos.renamed(a.id, next.name);
    this.o.dynos.setMaintenance(a.id, next.maintenance === 1);
    const previous = Object.fromEntries((['name', 'maintenance'] as const).filter((k) => a[k] !== next[k]).map((k) => [k, a[k]]));
    if (Object.keys(previous).length > 0) this.o.onChange?.('update', next, o.user, previous);
    return next;
  }

  /** Destroys the app and all it owns: add-ons first, then dynos, rows (cascading), repository, logs. */
  async destroy(a: AppRow, user: User): Promise<void> {
    await this.o.addons.destroyForApp(a.id, user);
    await this.o.dynos.untrack(a.id);
    await this.o.db.transaction().execute(async (trx) => {
      // A slug another app's release uses (a promotion releases the very slug) outlives this app: it passes
      // to the first app that released it, so that app still restarts, scales, rolls back and downloads it.
      const used = await trx.selectFrom('releases').innerJoin('slugs', 'slugs.id', 'releases.slug_id').select(['slugs.id', 'releases.app_id'])
        .where('slugs.app_id', '=', a.id).where('releases.app_id', '!=', a.id).orderBy('releases.created_at', 'desc').execute();
      for (const [slugId, appId] of new Map(used.map((u) => [u.id, u.app_id]))) await trx.updateTable('slugs').set({ app_id: appId }).where('id', '=', slugId).execute();
      await trx.deleteFrom('apps').where('id', '=', a.id).execute();
    });
    await this.o.repos.remove(a.id);
    this.o.forget(a.id);
    await this.o.releaseTenant?.(a.id);
  }
}
