// App features (Heroku's labs): list, show, enable/disable. The dyno manager acts on them.
import type { FastifyInstance } from 'fastify';
import { FEATURES } from '../../dynos/manager.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import { findApp } from './common.ts';

type Params = { app: string };

const DESCRIPTIONS: Record<(typeof FEATURES)[number], string> = {
  'log-runtime-metrics': 'Emit dyno resource usage (memory, load) into the app\'s log stream every 20 seconds.',
  'runtime-dyno-metadata': 'Expose release and app metadata to dynos as HEROKU_* environment variables.',
  preboot: 'Boot new web dynos before old ones stop on a deploy, so no request waits or fails.',
};

export function featureRoutes(api: FastifyInstance, d: ApiDeps): void {
  const list = async (appId: string) => {
    const on = new Set((await d.db.selectFrom('app_features').select('name').where('app_id', '=', appId).execute()).map((r) => r.name));
    return FEATURES.map((name) => ({
      id: name, name, display_name: name, description: DESCRIPTIONS[name], doc_url: 'https://devcenter.heroku.com/articles/labs',
      enabled: on.has(name), state: 'beta', feedback_email: null, created_at: null, updated_at: null,
    }));
  };
  api.get<{ Params: Params }>('/apps/:app/features', async (req) => list((await findApp(d, req.params.app)).id));
  api.get<{ Params: Params & { feature: string } }>('/apps/:app/features/:feature', async (req) => {
    const f = (await list((await findApp(d, req.params.app)).id)).find((x) => x.name === req.params.feature);
    if (!f) throw notFound('feature', `Couldn't find that feature (${req.params.feature}). Features: ${FEATURES.join(', ')}.`);
    return f;
  });
  api.patch<{ Params: Params & { feature: string } }>('/apps/:app/features/:feature', async (req) => {
    const a = await findApp(d, req.params.app);
    const name = req.params.feature;
    if (!(FEATURES as readonly string[]).includes(name)) throw notFound('feature', `Couldn't find that feature (${name}). Features: ${FEATURES.join(', ')}.`);
    const enabled = (req.body as { enabled?: unknown })?.enabled;
    if (typeof enabled !== 'boolean') throw invalid('enabled must be true or false.');
    if (enabled) await d.db.insertInto('app_features').values({ app_id: a.id, name }).onConflict((oc) => oc.doNothing()).execute();
    else await d.db.deleteFrom('app_features').where('app_id', '=', a.id).where('name', '=', name).execute();
    const all = await list(a.id);
    d.dynos.setFeatures(a.id, all.filter((f) => f.enabled).map((f) => f.name));
    return all.find((f) => f.name === name);
  });
}
