// The add-on catalogue (Heroku's /addon-services and /plans): the services and plans this platform offers.
// They live in code (addons/catalog.ts), so their ids are stable hashes of their names.
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { SERVICES, type Plan, type Service } from '../../addons/index.ts';
import { notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { IdParams } from '../schemas.ts';

const EPOCH = '2026-01-01T00:00:00Z';

/** Stable ids for catalogue entries (they live in code, not rows): a UUID-shaped hash of the name. */
export function catalogId(name: string): string {
  const h = createHash('sha256').update(`slipway-addon-catalog:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function serviceJson(s: Service) {
  return {
    id: catalogId(s.name), name: s.name, human_name: s.humanName, state: 'ga', supports_multiple_installations: true,
    supports_sharing: true, cli_plugin_name: null, supported_generations: [{ id: catalogId('cedar'), name: 'cedar' }],
    created_at: EPOCH, updated_at: EPOCH,
  };
}

export function planJson(s: Service, p: Plan) {
  const name = `${s.name}:${p.name}`;
  return {
    id: catalogId(name), name, human_name: p.humanName, description: `${s.humanName} ${p.humanName}`,
    addon_service: { id: catalogId(s.name), name: s.name }, price: { cents: p.cents, unit: 'month', contract: false, metered: false },
    default: p.default === true, visible: true, state: 'public', compliance: null, installable_inside_private_network: false,
    installable_outside_private_network: true, space_default: false, created_at: EPOCH, updated_at: EPOCH,
  };
}

const PlanParams = Type.Object({ id: Type.String({ description: 'service id or name' }), plan: Type.String({ description: 'plan id or name' }) });

/** No auth is needed for these on Heroku; ours asks for the key like every route. */
export function addonCatalogRoutes(api: Api): void {
  const service = (idOrName: string) => {
    const s = SERVICES.find((x) => x.name === idOrName || catalogId(x.name) === idOrName);
    if (!s) throw notFound('addon-service', `Couldn't find that add-on service (${idOrName}). Available: ${SERVICES.map((x) => x.name).join(', ')}.`);
    return s;
  };
  const plan = (s: Service, idOrName: string) => {
    const p = s.plans.find((x) => x.name === idOrName || `${s.name}:${x.name}` === idOrName || catalogId(`${s.name}:${x.name}`) === idOrName);
    if (!p) throw notFound('plan', `Couldn't find that plan (${idOrName}). Available: ${s.plans.map((x) => `${s.name}:${x.name}`).join(', ')}.`);
    return planJson(s, p);
  };

  api.get('/addon-services', { schema: { summary: 'List add-on services' } }, async () => SERVICES.map(serviceJson));
  api.get('/addon-services/:id', { schema: { params: IdParams } }, async (req) => serviceJson(service(req.params.id)));
  api.get('/addon-services/:id/plans', { schema: { params: IdParams } }, async (req) => {
    const s = service(req.params.id);
    return s.plans.map((p) => planJson(s, p));
  });
  api.get('/addon-services/:id/plans/:plan', { schema: { params: PlanParams } }, async (req) => plan(service(req.params.id), req.params.plan));
  api.get('/plans/:id', { schema: { params: IdParams } }, async (req) => {
    const s = SERVICES.find((x) => x.plans.some((p) => `${x.name}:${p.name}` === req.params.id || catalogId(`${x.name}:${p.name}`) === req.params.id));
    if (!s) throw notFound('plan', `Couldn't find that plan (${req.params.id}).`);
    return plan(s, req.params.id);
  });
}
