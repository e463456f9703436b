// Pipelines as the official CLI calls them: /pipelines, /pipeline-couplings (and an app's coupling at
// /apps/{app}/pipeline-couplings, 404 when it has none), /pipeline-promotions with their targets, and
// POST /filters/apps (the apps of a pipeline, by id). Review apps' switch is /pipelines/{id}/review-app-config.
// Who may do what (none of these routes has an `:app`, so each checks itself, from apps/access.ts's answers):
// a pipeline is seen by its owner and by whoever reaches one of its apps; others are told it does not
// exist (404). Renaming, destroying it or switching its review apps takes its owner or a managing role
// (owner, team admin, operator) on every app it holds; others who see it get 403. Coupling (or moving,
// removing) an app takes managing that app and seeing the pipeline; a promotion takes reaching the source
// and every target, and is seen by whoever sees its pipeline or reaches its source.
import { Type } from 'typebox';
import type { CouplingRow, PipelineRow, PromotionRow, PromotionTargetRow } from '../../pipelines/index.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound, PlatformError } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppParams, IdParams, Maybe, Ref, refOf, said } from '../schemas.ts';
import * as s from '../serialize.ts';

export type PipelineRouteDeps = Pick<ApiDeps, 'pipelines' | 'apps' | 'accounts' | 'access' | 'publicUrl' | 'domain' | 'routerPort'>;
type Caller = { id: string; email: string };
/** Checked by the route itself (no `:app` in its path). */
const own = { ownAccessCheck: true };

const NAME_TEXT = 'name is required: 3 to 30 characters, lowercase letters, digits and "-", e.g. {"name": "my-pipeline"}.';
const CreateBody = Type.Object({ name: Type.String(said(NAME_TEXT)) }, { ...said(NAME_TEXT), description: 'owner and generation are accepted and ignored: the caller owns the pipeline.' });
const RenameBody = Type.Object({ name: Maybe(Type.String(), NAME_TEXT) });
const STAGE_TEXT = 'stage is required: review, development, staging or production.';
const CouplingBody = Type.Object({ app: Ref('app is required: an app name or id.'), pipeline: Ref('pipeline is required: a pipeline id or name.'), stage: Type.String(said(STAGE_TEXT)) }, said('Expected {"app": "<app>", "pipeline": "<pipeline id>", "stage": "staging"}.'));
const StageBody = Type.Object({ stage: Type.String(said(STAGE_TEXT)) }, said(STAGE_TEXT));
const AppRef = Type.Object({ app: Type.Object({ id: Maybe(Type.String()), name: Maybe(Type.String()) }) });
const PROMOTE_TEXT = 'Expected {"pipeline": {"id": "..."}, "source": {"app": {"id": "..."}}, "targets": [{"app": {"id": "..."}}]}.';
const PromotionBody = Type.Object({
  pipeline: Type.Object({ id: Type.String() }, said(PROMOTE_TEXT)),
  source: AppRef,
  targets: Maybe(Type.Array(AppRef, { maxItems: 50 }), PROMOTE_TEXT),
}, said(PROMOTE_TEXT));
const FilterBody = Type.Object({ in: Type.Object({ id: Type.Array(Type.String(), { maxItems: 1000 }) }) }, said('Expected {"in": {"id": ["<app id>", ...]}}.'));
const ReviewBody = Type.Object({ automatic_review_apps: Maybe(Type.Boolean()), destroy_stale_apps: Maybe(Type.Boolean()), stale_days: Maybe(Type.Integer({ minimum: 1, maximum: 30 })) });

export function pipelineRoutes(api: Api, d: PipelineRouteDeps): void {
  const hidden = () => notFound('pipeline', "Couldn't find that pipeline.");
  const sees = async (who: Caller, p: PipelineRow) => {
    if (p.owner_id === who.id) return true;
    for (const c of await d.pipelines.couplings(p.id)) if (await d.access.reaches(who, c.app_id)) return true;
    return false;
  };
  /** The pipeline, if the caller sees it (`manage`: may rename or destroy it); else 404 (or 403). */
  const pipelineFor = async (who: Caller, idOrName: string, manage = false) => {
    const p = await d.pipelines.find(idOrName).catch(() => undefined);
    if (!p || !await sees(who, p)) throw hidden();
    if (manage && p.owner_id !== who.id) {
      const apps = await d.pipelines.couplings(p.id);
      const managed = await Promise.all(apps.map((c) => d.access.manages(who, c.app_id)));
      if (apps.length === 0 || managed.includes(false)) throw new PlatformError(403, 'forbidden', `Only the owner of ${p.name}, or one who manages every app in it, can do that.`);
    }
    return p;
  };
  /** A coupling whose pipeline the caller sees (`manage`: and who manages its app). */
  const couplingFor = async (who: Caller, id: string, manage = false) => {
    const c = await d.pipelines.coupling(id);
    const p = await d.pipelines.find(c.pipeline_id).catch(() => undefined);
    if (!p || !await sees(who, p)) throw notFound('pipeline-coupling', "Couldn't find that pipeline coupling.");
    if (manage) await d.access.appFor(who, c.app_id, true);
    return { c, p };
  };
  const promotionFor = async (who: Caller, id: string) => {
    const row = await d.pipelines.promotion(id);
    const p = await d.pipelines.find(row.pipeline_id).catch(() => undefined);
    if (!(await d.access.reaches(who, row.source_app_id)) && !(p && await sees(who, p))) throw notFound('pipeline-promotion', "Couldn't find that pipeline promotion.");
    return row;
  };
  const pipelineShape = (p: PipelineRow) => ({
    id: p.id, name: p.name, created_at: iso(p.created_at), updated_at: iso(p.updated_at),
    owner: { id: p.owner_id, type: 'user' }, generation: { id: 'cedar', name: 'cedar' },
  });
  const couplingShape = async (c: CouplingRow, p?: PipelineRow) => {
    const pipe = p ?? await d.pipelines.find(c.pipeline_id);
    const app = (await d.apps.refs([c.app_id])).get(c.app_id);
    return {
      id: c.id, stage: c.stage, created_at: iso(c.created_at), updated_at: iso(c.updated_at),
      app: { id: c.app_id, name: app?.name ?? null }, pipeline: { id: pipe.id, name: pipe.name },
    };
  };
  const promotionShape = (p: PromotionRow) => ({
    id: p.id, status: p.status, created_at: iso(p.created_at), updated_at: iso(p.updated_at),
    pipeline: { id: p.pipeline_id }, source: { app: { id: p.source_app_id }, release: { id: p.source_release_id } },
  });
  const targetShape = (t: PromotionTargetRow) => ({
    id: t.id, app: { id: t.app_id }, release: t.release_id ? { id: t.release_id } : null, status: t.status,
    error_message: t.error_message, pipeline_promotion: { id: t.promotion_id },
  });

  api.post('/pipelines', { config: own, schema: { summary: 'Create a pipeline', body: CreateBody } }, async (req, reply) => {
    reply.status(201);
    return pipelineShape(await d.pipelines.create(req.account, req.body.name));
  });
  api.get('/pipelines', { config: own, schema: { summary: 'List pipelines (eq[name]=NAME filters by name)' } }, async (req) => {
    const name = (req.query as Record<string, unknown>)['eq[name]'];
    const rows = typeof name === 'string' ? [await d.pipelines.byName(name)].filter((p) => p !== undefined) : await d.pipelines.list();
    const seen = await Promise.all(rows.map((p) => sees(req.account, p)));
    return rows.filter((_, i) => seen[i]).map(pipelineShape);
  });
  api.get('/pipelines/:id', { config: own, schema: { params: IdParams } }, async (req) => pipelineShape(await pipelineFor(req.account, req.params.id)));
  api.patch('/pipelines/:id', { config: own, schema: { summary: 'Rename a pipeline', params: IdParams, body: RenameBody } }, async (req) => {
    const p = await pipelineFor(req.account, req.params.id, true);
    return pipelineShape(req.body.name ? await d.pipelines.rename(p, req.body.name) : p);
  });
  api.delete('/pipelines/:id', { config: own, schema: { summary: 'Destroy a pipeline (its apps stay)', params: IdParams, body: AnyBody } }, async (req) => {
    const p = await pipelineFor(req.account, req.params.id, true);
    await d.pipelines.destroy(p);
    return pipelineShape(p);
  });

  api.get('/pipelines/:id/pipeline-couplings', { config: own, schema: { params: IdParams } }, async (req) => {
    const p = await pipelineFor(req.account, req.params.id);
    return Promise.all((await d.pipelines.couplings(p.id)).map((c) => couplingShape(c, p)));
  });
  api.post('/pipeline-couplings', { config: own, schema: { summary: 'Add an app to a pipeline at a stage', body: CouplingBody } }, async (req, reply) => {
    const { app: a } = await d.access.appFor(req.account, refOf(req.body.app) ?? '', true);
    const p = await pipelineFor(req.account, refOf(req.body.pipeline) ?? '');
    reply.status(201);
    return couplingShape(await d.pipelines.couple(p, a.id, req.body.stage), p);
  });
  api.get('/pipeline-couplings', { config: own, schema: { summary: 'List pipeline couplings' } }, async (req) => {
    const out = [];
    for (const p of await d.pipelines.list()) {
      if (!await sees(req.account, p)) continue;
      for (const c of await d.pipelines.couplings(p.id)) out.push(await couplingShape(c, p));
    }
    return out;
  });
  api.get('/pipeline-couplings/:id', { config: own, schema: { params: IdParams } }, async (req) => {
    const { c, p } = await couplingFor(req.account, req.params.id);
    return couplingShape(c, p);
  });
  api.patch('/pipeline-couplings/:id', { config: own, schema: { summary: "Change an app's stage", params: IdParams, body: StageBody } }, async (req) => {
    const { c, p } = await couplingFor(req.account, req.params.id, true);
    return couplingShape(await d.pipelines.setStage(c, req.body.stage), p);
  });
  api.delete('/pipeline-couplings/:id', { config: own, schema: { summary: 'Remove an app from its pipeline', params: IdParams, body: AnyBody } }, async (req) => {
    const { c, p } = await couplingFor(req.account, req.params.id, true);
    const shown = await couplingShape(c, p);
    await d.pipelines.uncouple(c);
    return shown;
  });
  api.get('/apps/:app/pipeline-couplings', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const c = await d.pipelines.couplingOf(a.id);
    if (!c) throw notFound('pipeline-coupling', `${a.name} is not in a pipeline.`);
    return couplingShape(c);
  });

  api.post('/pipeline-promotions', { config: own, schema: { summary: "Release the source app's slug on the target apps", body: PromotionBody } }, async (req, reply) => {
    const b = req.body;
    const p = await pipelineFor(req.account, b.pipeline.id);
    const reached = async (ref: string) => (await d.access.appFor(req.account, ref, false)).app.id;
    const source = await reached(b.source.app.id ?? b.source.app.name ?? '');
    const targets = b.targets ? await Promise.all(b.targets.map((t) => reached(t.app.id ?? t.app.name ?? ''))) : undefined;
    if (targets && targets.length === 0) throw invalid('targets is empty: name at least one app, or leave targets out to promote to the next stage.');
    // The next stage's apps (no targets named) are checked too, before anything is released.
    const row = await d.pipelines.promote(p, source, targets, req.account, async (id) => (await d.apps.refs([id])).get(id)?.name ?? id,
      async (ids) => { for (const id of ids) await reached(id); });
    reply.status(201);
    return promotionShape(row);
  });
  api.get('/pipeline-promotions/:id', { config: own, schema: { params: IdParams } }, async (req) => promotionShape(await promotionFor(req.account, req.params.id)));
  api.get('/pipeline-promotions/:id/promotion-targets', { config: own, schema: { params: IdParams } }, async (req) => {
    const p = await promotionFor(req.account, req.params.id);
    return (await d.pipelines.targets(p.id)).map(targetShape);
  });

  api.get('/pipelines/:id/review-app-config', { config: own, schema: { params: IdParams } }, async (req) => {
    const p = await pipelineFor(req.account, req.params.id);
    if (!p.review_apps) throw notFound('review-app-config', `Review apps are not enabled on ${p.name}: reviewapps:enable -p ${p.name}.`);
    return { pipeline_id: p.id, ...JSON.parse(p.review_apps) as object };
  });
  api.post('/pipelines/:id/review-app-config', { config: own, schema: { summary: 'Enable review apps', params: IdParams, body: ReviewBody } }, async (req, reply) => {
    const p = await pipelineFor(req.account, req.params.id, true);
    const settings = { automatic_review_apps: req.body.automatic_review_apps ?? true, destroy_stale_apps: req.body.destroy_stale_apps ?? true, stale_days: req.body.stale_days ?? null };
    await d.pipelines.setReviewApps(p, settings);
    reply.status(201);
    return { pipeline_id: p.id, ...settings };
  });
  api.patch('/pipelines/:id/review-app-config', { config: own, schema: { summary: 'Change review apps\' settings (reviewapps:enable --autodestroy ...)', params: IdParams, body: ReviewBody } }, async (req) => {
    const p = await pipelineFor(req.account, req.params.id, true);
    if (!p.review_apps) throw notFound('review-app-config', `Review apps are not enabled on ${p.name}: reviewapps:enable -p ${p.name} first.`);
    const given = Object.fromEntries(Object.entries(req.body).filter(([k, v]) => v !== undefined && ['automatic_review_apps', 'destroy_stale_apps', 'stale_days'].includes(k)));
    const settings = { ...JSON.parse(p.review_apps) as object, ...given };
    await d.pipelines.setReviewApps(p, settings);
    return { pipeline_id: p.id, ...settings };
  });
  api.delete('/pipelines/:id/review-app-config', { config: own, schema: { summary: 'Disable review apps', params: IdParams, body: AnyBody } }, async (req) => {
    const p = await pipelineFor(req.account, req.params.id, true);
    await d.pipelines.setReviewApps(p, null);
    return { pipeline_id: p.id };
  });

  api.post('/filters/apps', { config: own, schema: { summary: 'Apps by id (the CLI lists a pipeline\'s apps so; only those the caller reaches)', body: FilterBody } }, async (req) => {
    const out = [];
    for (const id of new Set(req.body.in.id)) {
      const a = await d.apps.find(id).catch(() => undefined);
      if (!a || !await d.access.reaches(req.account, a.id)) continue;
      const owner = (await d.accounts.users([a.owner_id])).get(a.owner_id)!;
      out.push(s.app(d, a, owner, await d.apps.slugSize(a.id)));
    }
    return out;
  });
}
