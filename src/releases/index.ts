// The release ledger: append-only vN rows, each a slug plus a snapshot of the config vars. Creating a
// release is the one way a change reaches running dynos: a release goes live (the dyno manager is told)
// once its release phase, if the slug declares one, has succeeded. Config values are encrypted at rest.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { LogSink } from '../logs/types.ts';
import { type BlobStore, slugFiles } from '../slugs/index.ts';
import type { Database, Db } from '../store/index.ts';
import { now, takeTurn } from '../store/index.ts';
import type { ReleasesTable } from '../store/schema.ts';
import { aad, type ConfigCipher } from './cipher.ts';
import { applyChanges, checkChanges, describeChanges } from './config-vars.ts';
import type { OutputStore } from './output.ts';
import { ReleasePhase, type ReleaseCommandRunner } from './phase.ts';
import { PlatformError } from '../errors.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export { aad, ConfigCipher, SecretError, type Sealer } from './cipher.ts';
export { ConfigVarError, checkChanges } from './config-vars.ts';
export type { ReleaseCommandRunner } from './phase.ts';

export type ReleaseRow = ReleasesTable;
type Trx = Transaction<Database>;
export interface User { id: string; email: string }

export interface ReleasesOptions {
  db: Db;
  logs: LogSink;
  cipher: ConfigCipher;
  /** Slug blobs: a rollback target whose blob is gone is refused. */
  blobs: BlobStore;
  /** Release-phase output, one stream per release id. */
  outputs: OutputStore;
  /** Runs a release command in a one-off dyno of the given (pending) release; resolves with its exit status. */
  runReleaseCommand: ReleaseCommandRunner;
  /** How long a release command may run before it is stopped and the release fails (Heroku: 1 hour). */
  releaseTimeoutMs: number;
  /** Told after a release went live (the formation follows it, the dyno manager reconciles to it); awaited. */
  onRelease: (appId: string, release: ReleaseRow) => void | Promise<void>;
  /** Told of each release made (`create`) and of a pending one settling (`update`); must return at once (app webhooks). */
  onChange?: (action: 'create' | 'update', release: ReleaseRow, previous?: Partial<ReleaseRow>) => void;
  /**
   * Config vars a rollback leaves as they are now (add-ons' vars: a rollback does not undo add-ons, as
   * on Heroku). None by default; the add-ons component supplies its own.
   */
  managedKeys?: (appId: string) => Promise<Set<string>>;
  logger?: Logger;
}

export interface NewRelease {
  appId: string;
  user: User;
  slugId: string | null;
  description: string;
  /** Defaults to the app's config vars at this moment. */
  config?: Record<string, string>;
  /** False for releases that must not run the release command (add-ons' own config changes). */
  releasePhase?: boolean;
  /** A deploy's app.json formation: where the app's formation starts if this is its first release to go live. */
  formation?: Record<string, { quantity: number; size?: string }>;
}

export interface ConfigChangeOptions {
  /** Replaces `Set A config vars` (add-ons: `Attach DATABASE (@ref:...)`). */
  description?: string;
  /** False: the release goes live without running the release command (Heroku does so for add-ons). */
  releasePhase?: boolean;
  /** Runs inside the same transaction as the vars and the release: all of it is written, or none. */
  apply?: (trx: Trx) => Promise<void>;
}

/** A refused rollback or slug release, with a message the user can act on. */
/** A release that cannot be made (e.g. a rollback to a release whose slug is gone): the user's to fix, 422. */
export class ReleaseError extends PlatformError {
  constructor(message: string) { super(422, 'invalid_params', message); }
}

export class Releases {
  readonly phase: ReleasePhase;
  private readonly logger: Logger;

  constructor(private readonly o: ReleasesOptions) {
    this.logger = componentLogger(o.logger, 'releases');
    this.phase = new ReleasePhase({ logger: this.logger,
      db: o.db, logs: o.logs, outputs: o.outputs, run: o.runReleaseCommand, timeoutMs: o.releaseTimeoutMs,
      onLive: (appId, r) => o.onRelease(appId, r),
      onSettled: (r) => o.onChange?.('update', r, { status: 'pending' }),
    });
  }

  /** At start: fails releases a platform crash left pending (their release command was ended with the platform; their dynos never started). */
  async recover(): Promise<void> {
    await this.phase.recover();
  }

  async configVars(appId: string, trx: Db | Trx = this.o.db): Promise<Record<string, string>> {
    const rows = await trx.selectFrom('config_vars').select(['key', 'value']).where('app_id', '=', appId).orderBy('key').execute();
    return Object.fromEntries(rows.map((r) => [r.key, this.o.cipher.decrypt(r.value, aad.configVar(appId, r.key))]));
  }

  /** A release's config snapshot, decrypted. */
  config(r: Pick<ReleaseRow, 'config' | 'app_id' | 'id'>): Record<string, string> {
    return this.o.cipher.decryptMap(r.config, aad.releaseConfig(r));
  }

  /**
   * Appends the next version inside one transaction (number, snapshot and row together), so two
   * concurrent releases never get the same number and a crash leaves either the whole row or none.
   */
  create(r: NewRelease): Promise<ReleaseRow> {
    return this.commit(r.appId, r.user, r.releasePhase !== false, () => Promise.resolve(r));
  }

  /**
   * Applies config var changes (`null` removes a key) and appends the release that carries them, in one
   * transaction: a concurrent change can't be lost, and a failure leaves neither the vars nor the
   * release. Throws ConfigVarError for a bad name or value, or past the size limit. Returns undefined (no release) for no changes.
   * This is the entry point add-ons use to set and remove their vars.
   */
  async setConfig(appId: string, user: User, changes: Record<string, string | null>, o: ConfigChangeOptions = {}): Promise<ReleaseRow | undefined> {
    if (Object.keys(changes).length === 0) return undefined;
    checkChanges(changes);
    return this.commit(appId, user, o.releasePhase !== false, async (trx) => {
      await o.apply?.(trx);
      const next = applyChanges(await this.configVars(appId, trx), changes);
      await this.replaceConfig(trx, appId, next, Object.keys(changes));
      return { appId, user, slugId: await this.latestSlug(trx, appId), description: o.description ?? describeChanges(changes), config: next };
    });
  }

  /**
   * `Rollback to vN`: a new release with vN's slug and config vars (keys `managedKeys` names keep their
   * current values). Refused when vN's slug is gone or vN never went live.
   */
  async rollback(appId: string, user: User, target: ReleaseRow): Promise<ReleaseRow> {
    await this.checkEligible(target);
    const managed = (await this.o.managedKeys?.(appId)) ?? new Set<string>();
    return this.commit(appId, user, true, async (trx) => {
      const current = await this.configVars(appId, trx);
      const next = this.config(target);
      for (const key of managed) {
        if (key in current) next[key] = current[key]!;
        else delete next[key];
      }
      await this.replaceConfig(trx, appId, next, [...new Set([...Object.keys(current), ...Object.keys(next)])]);
      return { appId, user, slugId: target.slug_id, description: `Rollback to v${target.version}`, config: next };
    });
  }

  /** Why a release cannot be rolled back to, or undefined when it can. */
  async rollbackProblem(r: ReleaseRow): Promise<string | undefined> {
    if (!r.slug_id) return `v${r.version} has no slug (it was made before the app's first deploy); there is no code to roll back to.`;
    if (r.status === 'failed') return `v${r.version} failed (its release command did not succeed), so it cannot be rolled back to; pick a release that went live.`;
    const slug = await this.o.db.selectFrom('slugs').select(['blob', 'layers']).where('id', '=', r.slug_id).executeTakeFirst();
    if (!slug?.blob || !slugFiles(this.o.blobs, slug)) {
      return `v${r.version}'s slug is no longer stored (slugs beyond the newest releases are removed), so it cannot be rolled back to. Deploy that code again instead.`;
    }
    return undefined;
  }

  private async checkEligible(r: ReleaseRow): Promise<void> {
    const problem = await this.rollbackProblem(r);
    if (problem) throw new ReleaseError(problem);
  }

  private async replaceConfig(trx: Trx, appId: string, next: Record<string, string>, touched: string[]): Promise<void> {
    for (const key of touched) {
      if (!(key in next)) {
        await trx.deleteFrom('config_vars').where('app_id', '=', appId).where('key', '=', key).execute();
        continue;
      }
      const value = this.o.cipher.encrypt(next[key]!, aad.configVar(appId, key));
      await trx.insertInto('config_vars').values({ app_id: appId, key, value })
        .onConflict((oc) => oc.columns(['app_id', 'key']).doUpdateSet({ value })).execute();
    }
  }

  /** The slug a config change carries: the newest release's that has not failed (a pending deploy's too). */
  private async latestSlug(trx: Trx, appId: string): Promise<string | null> {
    const prev = await trx.selectFrom('releases').select('slug_id').where('app_id', '=', appId).where('status', '!=', 'failed')
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
    return prev?.slug_id ?? null;
  }

  private async commit(appId: string, user: User, phaseAllowed: boolean, apply: (trx: Trx) => Promise<NewRelease>): Promise<ReleaseRow> {
    let command: string | undefined;
    let held = false;
    const committing = this.o.db.transaction().execute(async (trx) => {
      await takeTurn(trx, appId);
      const r = await apply(trx);
      const last = await trx.selectFrom('releases').select((eb) => eb.fn.max('version').as('v')).where('app_id', '=', appId).executeTakeFirst();
      const config = r.config ?? await this.configVars(appId, trx);
      if (phaseAllowed && r.slugId) {
        const slug = await trx.selectFrom('slugs').select('process_types').where('id', '=', r.slugId).executeTakeFirst();
        command = slug ? (JSON.parse(slug.process_types) as Record<string, string>).release : undefined;
      }
      // Behind a pending release, a release waits its turn, so releases go live in version order.
      const waits = command !== undefined || this.phase.busy(appId);
      // Held from here (synchronously with the check), so a release committed right after this one sees it.
      if (waits) held = this.phase.hold(appId);
      const t = now();
      const id = randomUUID();
      const row: ReleaseRow = {
        id, app_id: appId, version: Number(last?.v ?? 0) + 1, slug_id: r.slugId,
        config: this.o.cipher.encryptMap(config, aad.releaseConfig({ app_id: appId, id })), description: r.description, status: waits ? 'pending' : 'succeeded',
        user_id: user.id, formation: r.formation ? JSON.stringify(r.formation) : null, created_at: t, updated_at: t,
      };
      await trx.insertInto('releases').values(row).execute();
      if (!waits) await trx.updateTable('apps').set({ released_at: t, updated_at: t }).where('id', '=', appId).execute();
      return row;
    });
    let release: ReleaseRow;
    try {
      release = await committing;
    } catch (err) {
      if (held) this.phase.unhold(appId);
      throw err;
    }
    this.o.logs.emit(appId, 'app', 'api', `${release.description} by user ${user.email}`);
    this.o.logs.emit(appId, 'app', 'api', `Release v${release.version} created by user ${user.email}`);
    this.o.onChange?.('create', release);
    if (release.status === 'succeeded') await this.o.onRelease(appId, release);
    else {
      // Queued at once (releases settle in version order); its output stream is open before anyone learns of it.
      const opened = command === undefined ? Promise.resolve()
        : this.o.outputs.open(release.id).catch((err) => this.logger.error({ err, app: appId, release: `v${release.version}` }, 'output stream failed'));
      this.phase.enqueue(release, user, command, opened);
      await opened;
    }
    return release;
  }

  /** Resolves when the release has gone live or failed. */
  settled(r: Pick<ReleaseRow, 'id'>): Promise<'succeeded' | 'failed'> {
    return this.phase.settled(r);
  }

  list(appId: string): Promise<ReleaseRow[]> {
    return this.o.db.selectFrom('releases').selectAll().where('app_id', '=', appId).orderBy('version').execute();
  }

  /** The release dynos run: the newest succeeded one. */
  current(appId: string): Promise<ReleaseRow | undefined> {
    return this.o.db.selectFrom('releases').selectAll().where('app_id', '=', appId).where('status', '=', 'succeeded')
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  /** A release by id or by version number (the API accepts both). */
  find(appId: string, idOrVersion: string): Promise<ReleaseRow | undefined> {
    const q = this.o.db.selectFrom('releases').selectAll().where('app_id', '=', appId);
    const v = idOrVersion.replace(/^v/, '');
    return /^\d+$/.test(v) ? q.where('version', '=', Number(v)).executeTakeFirst() : q.where('id', '=', idOrVersion).executeTakeFirst();
  }
}
