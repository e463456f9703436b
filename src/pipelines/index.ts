// Pipelines: a named group of apps, each coupled at one stage (review, development, staging, production;
// an app is in at most one pipeline), and promotions: the source app's current slug released on each
// target app (every app of the next stage down, or the ones asked for) with the target's own config vars;
// the same slug, nothing rebuilt. A promotion answers at once (`pending`) and runs in the background; each
// target's status (pending → succeeded | failed, with the reason) is kept, then the promotion is `completed`.
import { randomUUID } from 'node:crypto';
import { PlatformError } from '../errors.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import type { Releases } from '../releases/index.ts';
import { isUniqueViolation, now, type Db } from '../store/index.ts';
import type { PipelineCouplingsTable, PipelinePromotionsTable, PipelinePromotionTargetsTable, PipelinesTable } from '../store/schema.ts';

export type PipelineRow = PipelinesTable;
export type CouplingRow = PipelineCouplingsTable;
export type PromotionRow = PipelinePromotionsTable;
export type PromotionTargetRow = PipelinePromotionTargetsTable;

/** Heroku's stages, upstream first (`test` is Heroku CI's, not offered here). */
export const STAGES = ['review', 'development', 'staging', 'production'];
const NAME = /^[a-z][a-z0-9-]{2,29}$/;
export const PIPELINES_PER_ACCOUNT = 100;

export interface User { id: string; email: string }

export interface PipelinesOptions {
  db: Db;
  releases: Pick<Releases, 'create' | 'current' | 'settled'>;
  logger?: Logger;
}

const bad = (message: string) => new PlatformError(422, 'invalid_params', message);
const missing = (what: string, message: string) => new PlatformError(404, 'not_found', message, what);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Pipelines {
  private readonly logger: Logger;
  /** Promotions under way (awaited at shutdown). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: PipelinesOptions) {
    this.logger = componentLogger(o.logger, 'pipelines');
  }

  // ---- pipelines ----

  async create(owner: User, name: string): Promise<PipelineRow> {
    if (!NAME.test(name)) throw bad(`Pipeline name ${JSON.stringify(name.slice(0, 40))} is invalid: 3 to 30 characters, lowercase letters, digits and "-", starting with a letter.`);
    if (await this.byName(name)) throw bad(`Name ${name} is already taken by another pipeline.`);
    const owned = await this.o.db.selectFrom('pipelines').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', owner.id).executeTakeFirstOrThrow();
    if (Number(owned.n) >= PIPELINES_PER_ACCOUNT) throw bad(`An account may own at most ${PIPELINES_PER_ACCOUNT} pipelines: destroy one first (pipelines:destroy).`);
    const t = now();
    const row: PipelineRow = { id: randomUUID(), name, owner_id: owner.id, review_apps: null, created_at: t, updated_at: t };
    await this.o.db.insertInto('pipelines').values(row).execute();
    return row;
  }

  list(ownerId?: string): Promise<PipelineRow[]> {
    let q = this.o.db.selectFrom('pipelines').selectAll();
    if (ownerId) q = q.where('owner_id', '=', ownerId);
    return q.orderBy('name').execute();
  }

  byName(name: string): Promise<PipelineRow | undefined> {
    return this.o.db.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async find(idOrName: string): Promise<PipelineRow> {
    const row = UUID.test(idOrName)
      ? await this.o.db.selectFrom('pipelines').selectAll().where('id', '=', idOrName).executeTakeFirst()
      : await this.byName(idOrName);
    if (!row) throw missing('pipeline', `Couldn't find that pipeline (${idOrName.slice(0, 60)}).`);
    return row;
  }

  async rename(p: PipelineRow, name: string): Promise<PipelineRow> {
    if (name === p.name) return p;
    if (!NAME.test(name)) throw bad(`Pipeline name ${JSON.stringify(name.slice(0, 40))} is invalid: 3 to 30 characters, lowercase letters, digits and "-", starting with a letter.`);
    if (await this.byName(name)) throw bad(`Name ${name} is already taken by another pipeline.`);
    const next = { ...p, name, updated_at: now() };
    await this.o.db.updateTable('pipelines').set({ name, updated_at: next.updated_at }).where('id', '=', p.id).execute();
    return next;
  }

  /** Review apps' settings (null: off). */
  async setReviewApps(p: PipelineRow, settings: Record<string, unknown> | null): Promise<PipelineRow> {
    const review_apps = settings ? JSON.stringify(settings) : null;
    await this.o.db.updateTable('pipelines').set({ review_apps, updated_at: now() }).where('id', '=', p.id).execute();
    return { ...p, review_apps };
  }

  /** Destroys the pipeline and its couplings; the apps stay. */
  async destroy(p: PipelineRow): Promise<void> {
    await this.o.db.deleteFrom('pipelines').where('id', '=', p.id).execute();
  }

  // ---- couplings ----

  async couple(p: PipelineRow, appId: string, stage: string): Promise<CouplingRow> {
    if (!STAGES.includes(stage)) throw bad(`Stage ${JSON.stringify(stage.slice(0, 30))} is not a pipeline stage: use ${STAGES.join(', ')}.`);
    const existing = await this.couplingOf(appId);
    if (existing) {
      const other = await this.o.db.selectFrom('pipelines').select('name').where('id', '=', existing.pipeline_id).executeTakeFirst();
      throw bad(`The app is already in pipeline ${other?.name ?? existing.pipeline_id}: remove it first (pipelines:remove).`);
    }
    const t = now();
    const row: CouplingRow = { id: randomUUID(), pipeline_id: p.id, app_id: appId, stage, created_at: t, updated_at: t };
    try {
      await this.o.db.insertInto('pipeline_couplings').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw bad('The app was added to a pipeline at the same moment: remove it there first.');
      throw err;
    }
    return row;
  }

  couplings(pipelineId: string): Promise<CouplingRow[]> {
    return this.o.db.selectFrom('pipeline_couplings').selectAll().where('pipeline_id', '=', pipelineId).orderBy('created_at').execute();
  }

  couplingOf(appId: string): Promise<CouplingRow | undefined> {
    return this.o.db.selectFrom('pipeline_couplings').selectAll().where('app_id', '=', appId).executeTakeFirst();
  }

  async coupling(id: string): Promise<CouplingRow> {
    const row = await this.o.db.selectFrom('pipeline_couplings').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw missing('pipeline-coupling', "Couldn't find that pipeline coupling.");
    return row;
  }

  async setStage(c: CouplingRow, stage: string): Promise<CouplingRow> {
    if (!STAGES.includes(stage)) throw bad(`Stage ${JSON.stringify(stage.slice(0, 30))} is not a pipeline stage: use ${STAGES.join(', ')}.`);
    const next = { ...c, stage, updated_at: now() };
    await this.o.db.updateTable('pipeline_couplings').set({ stage, updated_at: next.updated_at }).where('id', '=', c.id).execute();
    return next;
  }

  async uncouple(c: CouplingRow): Promise<void> {
    await this.o.db.deleteFrom('pipeline_couplings').where('id', '=', c.id).execute();
  }

  // ---- promotions ----

  /**
   * Promotes the source app's current release's slug to `targetAppIds` (default: every app of the next
   * stage down that has apps). Checks everything before recording anything; the releases are made in the
   * background (`promotion` then `targets` show how it went).
   */
  /**
   * `authorize` sees the source and every target (the ones asked for, or the next stage's) before
   * anything is recorded, and throws to refuse: nothing is then released.
   */
  async promote(
    p: PipelineRow, sourceAppId: string, targetAppIds: string[] | undefined, user: User,
    describe: (appId: string) => Promise<string>, authorize: (appIds: string[]) => Promise<void> = async () => undefined,
  ): Promise<PromotionRow> {
    const couplings = await this.couplings(p.id);
    const source = couplings.find((c) => c.app_id === sourceAppId);
    if (!source) throw bad('The source app is not in this pipeline: add it first (pipelines:add).');
    let targets = targetAppIds;
    if (!targets || targets.length === 0) {
      const downstream = STAGES.slice(STAGES.indexOf(source.stage) + 1).find((s) => couplings.some((c) => c.stage === s));
      if (!downstream) throw bad(`Nothing to promote to: no app is in a stage after ${source.stage}. Add one (pipelines:add -s production) or name targets.`);
      targets = couplings.filter((c) => c.stage === downstream).map((c) => c.app_id);
    }
    targets = [...new Set(targets)];
    if (targets.length > 50) throw bad('A promotion may have at most 50 targets.');
    if (targets.includes(sourceAppId)) throw bad('An app cannot be promoted to itself: name other apps as targets.');
    for (const t of targets) if (!couplings.some((c) => c.app_id === t)) throw bad('Every target must be an app of this pipeline: add it first (pipelines:add).');
    await authorize([sourceAppId, ...targets]);
    const current = await this.o.releases.current(sourceAppId);
    if (!current?.slug_id) throw bad('The source app has no release with a slug to promote: deploy it first.');
    const t0 = now();
    const row: PromotionRow = { id: randomUUID(), pipeline_id: p.id, source_app_id: sourceAppId, source_release_id: current.id, status: 'pending', created_at: t0, updated_at: t0 };
    const rows: PromotionTargetRow[] = targets.map((app_id) => ({ id: randomUUID(), promotion_id: row.id, app_id, release_id: null, status: 'pending', error_message: null }));
    await this.o.db.transaction().execute(async (trx) => {
      await trx.insertInto('pipeline_promotions').values(row).execute();
      for (const r of rows) await trx.insertInto('pipeline_promotion_targets').values(r).execute();
    });
    const description = `Promote ${await describe(sourceAppId)} v${current.version}`;
    const run = this.runPromotion(row, rows, current.slug_id, description, user).finally(() => this.running.delete(run));
    this.running.add(run);
    return row;
  }

  private async runPromotion(row: PromotionRow, targets: PromotionTargetRow[], slugId: string, description: string, user: User): Promise<void> {
    const { db } = this.o;
    await Promise.all(targets.map(async (t) => {
      let status = 'failed';
      let error: string | null = null;
      try {
        // The same slug (Heroku's promotions release the very slug), with the target's own config vars.
        const r = await this.o.releases.create({ appId: t.app_id, user, slugId, description });
        await db.updateTable('pipeline_promotion_targets').set({ release_id: r.id }).where('id', '=', t.id).execute();
        status = await this.o.releases.settled(r);
        if (status === 'failed') error = `Release v${r.version} failed (its release command did not succeed).`;
      } catch (err) {
        error = (err as Error).message.slice(0, 500);
        if (!(err instanceof PlatformError)) this.logger.error({ err, promotion: row.id, app: t.app_id }, 'promotion target failed');
      }
      await db.updateTable('pipeline_promotion_targets').set({ status, error_message: error }).where('id', '=', t.id).execute().catch(() => undefined);
    }));
    await db.updateTable('pipeline_promotions').set({ status: 'completed', updated_at: now() }).where('id', '=', row.id).execute().catch(() => undefined);
  }

  async promotion(id: string): Promise<PromotionRow> {
    const row = await this.o.db.selectFrom('pipeline_promotions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw missing('pipeline-promotion', "Couldn't find that pipeline promotion.");
    return row;
  }

  targets(promotionId: string): Promise<PromotionTargetRow[]> {
    return this.o.db.selectFrom('pipeline_promotion_targets').selectAll().where('promotion_id', '=', promotionId).execute();
  }

  /** At start: promotions a stopped platform left under way are completed, their unfinished targets failed. */
  async recover(): Promise<void> {
    const pending = await this.o.db.selectFrom('pipeline_promotions').select('id').where('status', '=', 'pending').execute();
    for (const p of pending) {
      await this.o.db.updateTable('pipeline_promotion_targets').set({ status: 'failed', error_message: 'The platform stopped during the promotion; promote again.' })
        .where('promotion_id', '=', p.id).where('status', '=', 'pending').execute();
      await this.o.db.updateTable('pipeline_promotions').set({ status: 'completed', updated_at: now() }).where('id', '=', p.id).execute();
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
