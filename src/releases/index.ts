// The release ledger: append-only vN rows, each a slug plus a snapshot of the config vars. Creating a
// release is the one way a change reaches running dynos: the dyno manager is told about every new one.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database, Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { ReleasesTable } from '../store/schema.ts';
import type { LogSink } from '../logs/types.ts';

export type ReleaseRow = ReleasesTable;
type Trx = Transaction<Database>;

export interface ReleasesOptions {
  db: Db;
  logs: LogSink;
  /** Told after a release is committed (the dyno manager reconciles to it). */
  onRelease: (appId: string, release: ReleaseRow) => void;
}

export interface NewRelease {
  appId: string;
  user: { id: string; email: string };
  slugId: string | null;
  description: string;
  /** Defaults to the app's config vars at this moment. */
  config?: Record<string, string>;
}

/** For changes that come with config vars (add-on attachments): the release's text, and rows to write with it. */
export interface ConfigChangeOptions {
  /** Replaces the default `Set X config vars` text, e.g. `Attach DATABASE (@ref:postgresql-curved-12345)`. */
  description?: string;
  /** Runs inside the same transaction as the vars and the release: all of it is written, or none. */
  apply?: (trx: Trx) => Promise<void>;
}

export class Releases {
  constructor(private readonly opts: ReleasesOptions) {}

  async configVars(appId: string): Promise<Record<string, string>> {
    const rows = await this.opts.db.selectFrom('config_vars').select(['key', 'value']).where('app_id', '=', appId).orderBy('key').execute();
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /**
   * Appends the next version inside one transaction (number, snapshot and row together), so two
   * concurrent releases never get the same number and a crash leaves either the whole row or none.
   */
  create(r: NewRelease): Promise<ReleaseRow> {
    return this.commit(r.appId, r.user, () => Promise.resolve(r));
  }

  /**
   * Applies config var changes (`null` removes a key) and appends the release that carries them, in one
   * transaction: a concurrent change can't be lost, and a failure leaves neither the vars nor the release.
   * Returns undefined (and makes no release) when nothing changed.
   */
  async setConfig(appId: string, user: { id: string; email: string }, changes: Record<string, string | null>, opts: ConfigChangeOptions = {}): Promise<ReleaseRow | undefined> {
    const set = Object.keys(changes).filter((k) => changes[k] !== null).sort();
    const removed = Object.keys(changes).filter((k) => changes[k] === null).sort();
    if (set.length === 0 && removed.length === 0) return undefined;
    return this.commit(appId, user, async (trx) => {
      await opts.apply?.(trx);
      for (const key of removed) await trx.deleteFrom('config_vars').where('app_id', '=', appId).where('key', '=', key).execute();
      for (const key of set) {
        await trx.insertInto('config_vars').values({ app_id: appId, key, value: changes[key] as string })
          .onConflict((oc) => oc.columns(['app_id', 'key']).doUpdateSet({ value: changes[key] as string })).execute();
      }
      const prev = await trx.selectFrom('releases').select('slug_id').where('app_id', '=', appId).where('status', '=', 'succeeded')
        .orderBy('version', 'desc').limit(1).executeTakeFirst();
      const parts = [set.length ? `Set ${set.join(', ')} config vars` : '', removed.length ? `Remove ${removed.join(', ')} config vars` : ''];
      return { appId, user, slugId: prev?.slug_id ?? null, description: opts.description ?? parts.filter(Boolean).join(', ') };
    });
  }

  private async commit(appId: string, user: { id: string; email: string }, apply: (trx: Trx) => Promise<NewRelease>): Promise<ReleaseRow> {
    const release = await this.opts.db.transaction().execute(async (trx) => {
      const r = await apply(trx);
      const last = await trx.selectFrom('releases').select((eb) => eb.fn.max('version').as('v')).where('app_id', '=', appId).executeTakeFirst();
      const config = r.config ?? Object.fromEntries(
        (await trx.selectFrom('config_vars').select(['key', 'value']).where('app_id', '=', appId).execute()).map((x) => [x.key, x.value]),
      );
      const t = now();
      const row: ReleaseRow = {
        id: randomUUID(), app_id: appId, version: Number(last?.v ?? 0) + 1, slug_id: r.slugId,
        config: JSON.stringify(config), description: r.description, status: 'succeeded', user_id: user.id,
        created_at: t, updated_at: t,
      };
      await trx.insertInto('releases').values(row).execute();
      await trx.updateTable('apps').set({ released_at: t, updated_at: t }).where('id', '=', appId).execute();
      return row;
    });
    this.opts.logs.emit(appId, 'app', 'api', `${release.description} by user ${user.email}`);
    this.opts.logs.emit(appId, 'app', 'api', `Release v${release.version} created by user ${user.email}`);
    this.opts.onRelease(appId, release);
    return release;
  }

  list(appId: string): Promise<ReleaseRow[]> {
    return this.opts.db.selectFrom('releases').selectAll().where('app_id', '=', appId).orderBy('version').execute();
  }

  /** The release dynos run: the newest succeeded one. */
  current(appId: string): Promise<ReleaseRow | undefined> {
    return this.opts.db.selectFrom('releases').selectAll().where('app_id', '=', appId).where('status', '=', 'succeeded')
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  /** A release by id or by version number (the API accepts both). */
  find(appId: string, idOrVersion: string): Promise<ReleaseRow | undefined> {
    const q = this.opts.db.selectFrom('releases').selectAll().where('app_id', '=', appId);
    const v = idOrVersion.replace(/^v/, '');
    return /^\d+$/.test(v) ? q.where('version', '=', Number(v)).executeTakeFirst() : q.where('id', '=', idOrVersion).executeTakeFirst();
  }
}
