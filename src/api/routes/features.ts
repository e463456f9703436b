// App features (Heroku's labs): list, show, enable/disable; apps/features.ts keeps them, the dyno manager acts on them.
import { Type } from 'typebox';
import { FEATURES, type FeatureName } from '../../apps/features.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AppName, AppParams, said } from '../schemas.ts';

export type FeatureRouteDeps = Pick<ApiDeps, 'apps' | 'features'>;

const DESCRIPTIONS: Record<FeatureName, string> = {
  'log-runtime-metrics': 'Emit dyno resource usage (memory, load) into the app\'s log stream every 20 seconds.',
  'runtime-dyno-metadata': 'Expose release and app metadata to dynos as HEROKU_* environment variables.',
  preboot: 'Boot new web dynos before old ones stop on a deploy, so no request waits or fails.',
};

/** Heroku's schema has every feature carry dates: ours are the platform's, not the app's. */
const FEATURES_SINCE = '2026-01-01T00:00:00Z';

const FeatureParams = Type.Object({ app: AppName, feature: Type.String() });
const UpdateBody = Type.Object({ enabled: Type.Boolean(said('enabled must be true or false.')) }, said('enabled must be true or false.'));

export function featureRoutes(api: Api, d: FeatureRouteDeps): void {
  // `general`: `heroku features` lists only those (with their state); all of ours are switched per app.
  const list = (on: Set<string>) => FEATURES.map((name) => ({
    id: name, name, display_name: name, description: DESCRIPTIONS[name], doc_url: 'https://devcenter.heroku.com/articles/labs',
    enabled: on.has(name), state: 'general', feedback_email: '', created_at: FEATURES_SINCE, updated_at: FEATURES_SINCE,
  }));
  const one = (on: Set<string>, name: string) => list(on).find((f) => f.name === d.features.check(name));

  api.get('/apps/:app/features', { schema: { params: AppParams } }, async (req) => list(await d.features.enabled((await d.apps.find(req.params.app)).id)));
  api.get('/apps/:app/features/:feature', { schema: { params: FeatureParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return one(await d.features.enabled(a.id), req.params.feature);
  });
  api.patch('/apps/:app/features/:feature', { schema: { summary: 'Enable or disable a feature', params: FeatureParams, body: UpdateBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    d.features.check(req.params.feature);
    return one(await d.features.set(a.id, req.params.feature, req.body.enabled), req.params.feature);
  });
}
