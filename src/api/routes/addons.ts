// Add-ons and attachments (Heroku's paths and shapes; the catalogue is addon-catalog.ts, the data API's
// routes addon-data.ts, backups addon-backups.ts). The add-on component's refusals carry their own status
// and id (AddonError), answered as they are.
import { Type } from 'typebox';
import { AddonError, type AddonRow, type AttachmentRow } from '../../addons/index.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, IdParams, Maybe, Ref, refOf, said } from '../schemas.ts';
import { catalogId, planJson } from './addon-catalog.ts';

export type AddonRouteDeps = Pick<ApiDeps, 'apps' | 'addons'> & Partial<Pick<ApiDeps, 'access'>>;

const noSuchAddon = (ref: string) => new AddonError(404, 'not_found', `Couldn't find that add-on (${ref}).`);

/**
 * Who sees which add-on: an add-on is the business of the app that owns it and of the apps it is
 * attached to. Add-on names are platform-wide, so a name alone must never reach another tenant's add-on:
 * each route goes through one of these (without `access`, in route tests, everything is reachable).
 */
export function addonGuards(d: AddonRouteDeps) {
  const reaches = (account: { id: string; email: string }, appId: string) => (d.access ? d.access.reaches(account, appId) : Promise.resolve(true));
  /** The add-on named on `appId` (owned by it or attached to it), else a 404. */
  const onApp = async (ref: string, appId: string) => {
    const addon = await d.addons.get(ref, appId);
    if (addon.app_id !== appId && (await d.addons.attachments({ addonId: addon.id, appId })).length === 0) throw noSuchAddon(ref);
    return addon;
  };
  /** Whether the account reaches the add-on (its owning app, or an app it is attached to). */
  const seen = async (account: { id: string; email: string }, addon: AddonRow) => {
    if (await reaches(account, addon.app_id)) return true;
    for (const att of await d.addons.attachments({ addonId: addon.id })) if (await reaches(account, att.app_id)) return true;
    return false;
  };
  /** The add-on by id or name if the account reaches it, else a 404 (`owner`: through its owning app only). */
  const reachable = async (account: { id: string; email: string }, ref: string, owner = false) => {
    const addon = await d.addons.find(ref);
    if (!addon || !(owner ? await reaches(account, addon.app_id) : await seen(account, addon))) throw noSuchAddon(ref);
    return addon;
  };
  /** The attachment by id if the account reaches its app or the add-on's owning app, else a 404. */
  const attachment = async (account: { id: string; email: string }, id: string) => {
    const att = await d.addons.attachment(id).catch(() => undefined);
    const addon = att && await d.addons.find(att.addon_id);
    if (!att || !((await reaches(account, att.app_id)) || (addon && await reaches(account, addon.app_id)))) {
      throw new AddonError(404, 'not_found', `Couldn't find that add-on attachment (${id}).`);
    }
    return att;
  };
  const app = async (account: { id: string; email: string }, name: string) => (d.access ? (await d.access.appFor(account, name, false)).app : d.apps.find(name));
  return { reaches, onApp, seen, reachable, attachment, app };
}

/** The add-on and attachment JSON shapes, shared with the data API's routes. */
export function addonViews(d: AddonRouteDeps) {
  const appRef = async (id: string) => (await d.apps.refs([id])).get(id)!;
  const addon = async (row: AddonRow, message?: string) => {
    const { service, plan } = d.addons.serviceOf(row);
    const owner = await appRef(row.app_id);
    const own = await d.addons.attachments({ addonId: row.id, appId: row.app_id });
    const keys = Object.keys(JSON.parse(row.config) as Record<string, string>);
    return {
      id: row.id, name: row.name, addon_service: { id: catalogId(service.name), name: service.name },
      plan: { ...planJson(service, plan) }, app: owner, billing_entity: { id: owner.id, name: owner.name, type: 'app' },
      billed_price: { cents: plan.cents, contract: false, unit: 'month' },
      config_vars: own.flatMap((a) => keys.map((k) => `${a.name}_${k}`)),
      state: row.state === 'deprovisioning' ? 'deprovisioning' : row.state, ...(message ? { provision_message: message } : {}),
      provider_id: row.name, web_url: null, actions: [], created_at: iso(row.created_at), updated_at: iso(row.updated_at),
    };
  };
  // Always with what `Accept-Inclusion: addon:plan,config_vars` asks for (the heroku CLI's pg commands read it).
  const attachment = async (a: AttachmentRow) => {
    const row = await d.addons.get(a.addon_id);
    const plan = `${row.service}:${row.plan}`;
    return {
      id: a.id, name: a.name, namespace: a.namespace,
      addon: { id: row.id, name: row.name, app: await appRef(row.app_id), plan: { id: catalogId(plan), name: plan } },
      app: await appRef(a.app_id),
      config_vars: Object.keys(JSON.parse(row.config) as Record<string, string>).map((k) => `${a.name}_${k}`),
      web_url: null, log_input_url: null, created_at: iso(a.created_at), updated_at: iso(a.updated_at),
    };
  };
  return { appRef, addon, attachment };
}

const AppAddonParams = Type.Object({ app: AppName, id: Type.String({ description: 'add-on id or name, or attachment name' }) });
const PLAN_TEXT = 'plan is required: e.g. {"plan": "heroku-postgresql:essential-0"}.';
const PlanRef = Type.Union([Type.String({ minLength: 1 }), Type.Object({ name: Type.String({ minLength: 1 }) })], said(PLAN_TEXT));
const CreateBody = Type.Object({
  plan: PlanRef,
  attachment: Maybe(Type.Object({ name: Maybe(Type.String(), 'attachment.name must be a string.') }), 'attachment must be {"name": "..."}.'),
  name: Maybe(Type.String(), 'name must be a string.'),
  confirm: Maybe(Type.String(), 'confirm must be a string.'),
  config: Type.Optional(Type.Unknown({ description: 'provider options; none are read' })),
}, said(PLAN_TEXT));
const UpdateBody = Type.Object({ plan: PlanRef }, said('plan is required: e.g. {"plan": "heroku-postgresql:essential-1"}.'));
const DestroyBody = Type.Object({ force: Maybe(Type.Boolean(), 'force must be true or false.') });
const ResolveBody = Type.Object({
  addon: Type.String({ minLength: 1, ...said('addon is required: an add-on name, id or attachment name.') }),
  app: Maybe(Type.String(), 'app must be an app name.'),
  addon_service: Maybe(Type.String(), 'addon_service must be a service name.'),
}, said('addon is required: an add-on name, id or attachment name.'));
const ResolveAttachmentBody = Type.Object({
  addon_attachment: Type.String(said('addon_attachment and app are required.')),
  app: Type.String(said('addon_attachment and app are required.')),
}, said('addon_attachment and app are required.'));
const ATTACH_TEXT = 'addon and app are required: {"addon": {"name": "..."}, "app": {"name": "..."}}.';
const AttachBody = Type.Object({
  addon: Ref(ATTACH_TEXT),
  app: Ref(ATTACH_TEXT),
  name: Maybe(Type.String(), 'name must be a string.'),
  confirm: Maybe(Type.String(), 'confirm must be a string.'),
  namespace: Maybe(Type.String(), 'namespace must be a string.'),
}, said(ATTACH_TEXT));

export function addonRoutes(api: Api, d: AddonRouteDeps): void {
  const addons = d.addons;
  const view = addonViews(d);
  const planOf = (p: string | { name: string }) => (typeof p === 'string' ? p : p.name);
  const guard = addonGuards(d);

  api.get('/addons', { schema: { summary: 'List the add-ons of the apps the caller reaches' } }, async (req) => {
    const all = await addons.list();
    const seen = await Promise.all(all.map((r) => guard.seen(req.account, r)));
    return Promise.all(all.filter((_, i) => seen[i]).map((r) => view.addon(r)));
  });
  api.get('/apps/:app/addons', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return Promise.all((await addons.listForApp(a.id)).map((r) => view.addon(r)));
  });
  api.get('/addons/:id', { schema: { params: IdParams } }, async (req) => view.addon(await guard.reachable(req.account, req.params.id)));
  api.get('/apps/:app/addons/:id', { schema: { params: AppAddonParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return view.addon(await guard.onApp(req.params.id, a.id));
  });

  api.post('/apps/:app/addons', { schema: { summary: 'Create an add-on', params: AppParams, body: CreateBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const b = req.body;
    const row = await addons.create({
      app: a, user: req.account, plan: planOf(b.plan), attachment: b.attachment?.name ?? undefined,
      name: b.name ?? undefined, confirm: b.confirm ?? undefined,
    });
    reply.status(201);
    return view.addon(row, row.service === 'heroku-postgresql' ? 'Database has been created and is available' : undefined);
  });

  api.patch('/apps/:app/addons/:id', { schema: { summary: "Change an add-on's plan", params: AppAddonParams, body: UpdateBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const addon = await guard.onApp(req.params.id, a.id);
    if (addon.app_id !== a.id) throw new AddonError(422, 'invalid_params', `${addon.name} is owned by ${(await view.appRef(addon.app_id)).name}, not ${a.name}.`);
    return view.addon(await addons.changePlan(addon, planOf(req.body.plan), req.account));
  });

  api.delete('/apps/:app/addons/:id', { schema: { summary: 'Destroy an add-on', params: AppAddonParams, body: DestroyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const addon = await guard.onApp(req.params.id, a.id);
    if (addon.app_id !== a.id) throw new AddonError(422, 'invalid_params', `${addon.name} is on ${(await view.appRef(addon.app_id)).name} not ${a.name}.`);
    const shown = await view.addon(addon);
    await addons.destroy(addon, req.account, req.body.force === true);
    return { ...shown, state: 'deprovisioned', config_vars: [] };
  });

  api.post('/actions/addons/resolve', { schema: { summary: 'Find an add-on by name, id or attachment (app::name)', body: ResolveBody } }, async (req) => {
    const b = req.body;
    let addonName = b.addon;
    let appName = b.app ?? undefined;
    if (addonName.includes('::')) [appName, addonName] = addonName.split('::', 2) as [string, string];
    const appId = appName ? (await guard.app(req.account, appName)).id : undefined;
    const row = await addons.find(addonName, appId);
    if (!row || !(await guard.seen(req.account, row)) || (typeof b.addon_service === 'string' && row.service !== b.addon_service)) {
      throw notFound('add_on', `Couldn't find that add-on (${b.addon}).`);
    }
    return [await view.addon(row)];
  });

  // ---- attachments ----
  api.get('/addon-attachments', { schema: { summary: 'List the attachments of the apps the caller reaches' } }, async (req) => {
    const all = await addons.attachments();
    const seen = await Promise.all(all.map((a) => guard.reaches(req.account, a.app_id)));
    return Promise.all(all.filter((_, i) => seen[i]).map(view.attachment));
  });
  api.get('/addon-attachments/:id', { schema: { params: IdParams } }, async (req) => view.attachment(await guard.attachment(req.account, req.params.id)));
  api.get('/addons/:id/addon-attachments', { schema: { params: IdParams } }, async (req) => {
    const addon = await guard.reachable(req.account, req.params.id);
    return Promise.all((await addons.attachments({ addonId: addon.id })).map(view.attachment));
  });
  api.get('/apps/:app/addon-attachments', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return Promise.all((await addons.attachments({ appId: a.id })).map(view.attachment));
  });
  api.get('/apps/:app/addon-attachments/:id', { schema: { params: AppAddonParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return view.attachment(await addons.attachment(req.params.id, a.id));
  });
  api.post('/actions/addon-attachments/resolve', { schema: { body: ResolveAttachmentBody } }, async (req) => {
    const a = await guard.app(req.account, req.body.app);
    return [await view.attachment(await addons.attachment(req.body.addon_attachment, a.id))];
  });

  api.post('/addon-attachments', { schema: { summary: 'Attach an add-on to another app', body: AttachBody } }, async (req, reply) => {
    const b = req.body;
    const addonRef = refOf(b.addon);
    const appName = refOf(b.app);
    if (!addonRef || !appName) throw invalid(ATTACH_TEXT);
    const a = await guard.app(req.account, appName);
    // Attaching hands the add-on's credentials to the app: only for those who reach the add-on's own app.
    const row = await addons.attach({ addon: await guard.reachable(req.account, addonRef, true), app: a, user: req.account, name: b.name ?? undefined, confirm: b.confirm ?? undefined });
    reply.status(201);
    return view.attachment(row);
  });

  api.delete('/addon-attachments/:id', { schema: { params: IdParams, body: AnyBody } }, async (req) => {
    const att = await guard.attachment(req.account, req.params.id);
    const shown = await view.attachment(att);
    await addons.detach(att, req.account);
    return shown;
  });
}
