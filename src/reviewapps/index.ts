// Review apps: with review apps enabled on a pipeline, a push of a branch other than main/master to the
// repository of the pipeline's staging app (our stand-in for Heroku's pull requests: no GitHub is
// reachable) creates an app for the branch from its app.json with `environments.review` applied (add-ons,
// env, build, release, postdeploy: appsetups/), coupled to the pipeline at the `review` stage and named
// from the pipeline and the branch within Heroku's app-name rule (hashed when long). Each later push of
// the branch redeploys it; deleting the branch, or `staleMs` without a push, destroys it after running
// app.json's `scripts.pr-predestroy`. Its URL is printed in the push output.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { AppSetups } from '../appsetups/index.ts';
import type { AppRow } from '../apps/index.ts';
import type { DeployOutcome, DeployRequest } from '../deploy/index.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import type { Pipelines } from '../pipelines/index.ts';
import { now, type Db } from '../store/index.ts';
import type { ReviewAppsTable } from '../store/schema.ts';

export type ReviewAppRow = ReviewAppsTable;
interface User { id: string; email: string }

/** Heroku's app-name rule: 3 to 30 characters, lowercase letters, digits and dashes, a letter first. */
export const APP_NAME = /^[a-z][a-z0-9-]{1,28}[a-z0-9]$/;

/** The review app's name for a branch: `<pipeline>-<branch>`, cut and suffixed with a hash of both when too long. */
export function reviewAppName(pipeline: string, branch: string): string {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  let name = `${slug(pipeline)}-${slug(branch) || 'branch'}`.replace(/^[^a-z]+/, '');
  if (!/^[a-z]/.test(name)) name = `r${name}`;
  if (APP_NAME.test(name)) return name;
  const hash = createHash('sha256').update(`${pipeline}\0${branch}`).digest('hex').slice(0, 6);
  return `${name.slice(0, 23).replace(/-+$/, '')}-${hash}`;
}

export interface ReviewAppsOptions {
  db: Db;
  dataDir: string;
  pipelines: Pick<Pipelines, 'couplingOf' | 'find' | 'couple'>;
  appSetups: Pick<AppSetups, 'provision' | 'runScript'>;
  apps: { create(owner: User, o: { name?: string | null }): Promise<AppRow>; destroy(a: AppRow, user: User): Promise<void>; byId(id: string): Promise<AppRow | undefined> };
  /** Deploys in the app's turn (deploy/). */
  deploy(req: DeployRequest): Promise<DeployOutcome>;
  webUrl(name: string): string;
  /** A review app without a push for this long is destroyed (SLIPWAY_REVIEW_APP_STALE_DAYS, 5 days). */
  staleMs: number;
  /** How often staleness is checked (SLIPWAY_REVIEW_APP_SWEEP); default `staleMs / 4`, within 1 s to 1 hour. */
  sweepMs?: number;
  logger?: Logger;
}

export class ReviewApps {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: ReviewAppsOptions) {
    this.logger = componentLogger(o.logger, 'reviewapps');
  }

  list(pipelineId: string): Promise<ReviewAppRow[]> {
    return this.o.db.selectFrom('review_apps').selectAll().where('pipeline_id', '=', pipelineId).orderBy('created_at').execute();
  }

  /** A branch pushed to `app`'s repository: creates or redeploys its review app when `app` is a staging app with review apps on. */
  async pushed(r: { app: { id: string; name: string }; user: User; branch: string; commit: string; checkout: (dir: string) => Promise<void>; output: (s: string) => void }): Promise<boolean> {
    const coupling = await this.o.pipelines.couplingOf(r.app.id);
    if (coupling?.stage !== 'staging') return false;
    const pipeline = await this.o.pipelines.find(coupling.pipeline_id);
    if (!pipeline.review_apps) return false;
    const out = r.output;
    const existing = await this.o.db.selectFrom('review_apps').selectAll().where('pipeline_id', '=', pipeline.id).where('branch', '=', r.branch).executeTakeFirst();
    const existingApp = existing ? await this.o.apps.byId(existing.app_id) : undefined;
    if (existing && existingApp) {
      out(`-----> Redeploying review app ${existingApp.name} for branch ${r.branch}\n`);
      await this.o.db.updateTable('review_apps').set({ last_push_at: now(), updated_at: now() }).where('id', '=', existing.id).execute();
      const result = await this.o.deploy({ app: existingApp, user: r.user, commit: r.commit, output: out, checkout: (dir) => r.checkout(dir) });
      out(result.ok ? `-----> Review app: ${this.o.webUrl(existingApp.name)}\n` : ` !     The review app ${existingApp.name} was not redeployed; it keeps its previous release.\n`);
      return true;
    }
    const name = reviewAppName(pipeline.name, r.branch);
    out(`-----> Creating review app ${name} for branch ${r.branch} (pipeline ${pipeline.name})\n`);
    let app: AppRow;
    try {
      app = await this.o.apps.create(r.user, { name });
    } catch (err) {
      out(` !     The review app could not be created: ${(err as Error).message}\n`);
      return true;
    }
    const t = now();
    const row: ReviewAppRow = { id: randomUUID(), pipeline_id: pipeline.id, app_id: app.id, branch: r.branch, status: 'creating', last_push_at: t, predestroy: null, created_at: t, updated_at: t };
    await this.o.pipelines.couple(pipeline, app.id, 'review');
    await this.o.db.insertInto('review_apps').values(row).execute();
    const result = await this.o.appSetups.provision(app, r.user, { fetch: r.checkout, review: true, version: r.commit, output: out }, join(this.o.dataDir, 'review-apps', row.id));
    if (result.failure) {
      // provision destroyed the app (and so its row and coupling).
      out(` !     The review app failed: ${result.failure}\n`);
      return true;
    }
    const predestroy = result.manifest?.scripts.prPredestroy;
    await this.o.db.updateTable('review_apps').set({ status: 'created', predestroy: predestroy ? JSON.stringify(predestroy) : null, updated_at: now() }).where('id', '=', row.id).execute();
    if (result.postdeploy) out(`-----> postdeploy exited with ${result.postdeploy.exit_code}:\n${result.postdeploy.output.replace(/^/gm, '       ')}\n`);
    out(`-----> Review app: ${this.o.webUrl(app.name)}\n`);
    return true;
  }

  /** A branch deleted from `app`'s repository: its review app (if any) is destroyed. */
  async deleted(r: { app: { id: string; name: string }; user: User; branch: string; output: (s: string) => void }): Promise<void> {
    const coupling = await this.o.pipelines.couplingOf(r.app.id);
    if (coupling?.stage !== 'staging') return;
    const row = await this.o.db.selectFrom('review_apps').selectAll().where('pipeline_id', '=', coupling.pipeline_id).where('branch', '=', r.branch).executeTakeFirst();
    if (!row) return;
    r.output(`-----> Destroying the review app of branch ${r.branch}\n`);
    await this.destroy(row, r.user, r.output);
  }

  /** Runs pr-predestroy (its outcome said), then destroys the app with all it owns. */
  async destroy(row: ReviewAppRow, user: User, output: (s: string) => void = () => undefined): Promise<void> {
    const app = await this.o.apps.byId(row.app_id);
    if (!app) return;
    if (row.predestroy) {
      const script = JSON.parse(row.predestroy) as { command: string; size?: string };
      try {
        const r = await this.o.appSetups.runScript(app, user, script.command, script.size, 'predestroy');
        output(`-----> pr-predestroy exited with ${r.exit_code}:\n${r.output.replace(/^/gm, '       ')}\n`);
      } catch (err) {
        output(` !     pr-predestroy could not run: ${(err as Error).message}\n`);
      }
    }
    await this.o.apps.destroy(app, user);
    output(`-----> Destroyed review app ${app.name}\n`);
  }

  /**
   * Destroys review apps without a push for their pipeline's `stale_days` (else `staleMs`) unless the
   * pipeline turned `destroy_stale_apps` off, each after its pr-predestroy (whose outcome goes to the
   * platform's log: the app's own stream goes with it); checked every `sweepMs`.
   */
  start(owner: (appId: string) => Promise<User | undefined>): void {
    const sweep = async () => {
      const rows = await this.o.db.selectFrom('review_apps').innerJoin('pipelines', 'pipelines.id', 'review_apps.pipeline_id')
        .selectAll('review_apps').select('pipelines.review_apps as settings').where('review_apps.status', '=', 'created').execute();
      for (const { settings, ...row } of rows) {
        const s = (settings ? JSON.parse(settings) : {}) as { destroy_stale_apps?: boolean; stale_days?: number | null };
        const staleMs = s.stale_days ? s.stale_days * 86_400_000 : this.o.staleMs;
        if (s.destroy_stale_apps === false || Date.parse(row.last_push_at) > Date.now() - staleMs) continue;
        const user = await owner(row.app_id);
        if (!user) continue;
        this.logger.info({ app: row.app_id, branch: row.branch }, 'destroying a stale review app');
        const said = (text: string) => this.logger.info({ app: row.app_id, branch: row.branch }, text.trim());
        await this.destroy(row, user, said).catch((err) => this.logger.error({ err, app: row.app_id }, 'destroying a stale review app failed'));
      }
    };
    const every = this.o.sweepMs ?? Math.max(1000, Math.min(3600_000, this.o.staleMs / 4));
    // One sweep at a time: a sweep still destroying (pr-predestroy runs) is not overtaken by the next.
    let sweeping = false;
    this.timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      void sweep().catch((err) => this.logger.error({ err }, 'review app sweep failed')).finally(() => { sweeping = false; });
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
