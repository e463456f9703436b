// Add-ons, attachments and the catalogue (Heroku's paths and shapes, shared/reference/addons.md §6),
// plus Slipway's routes for what Heroku serves from its data API: pg:info / redis:info facts,
// credential rotation and Postgres backups (routes/addon-backups.ts).
import type { FastifyInstance } from 'fastify';
import { AddonError, SERVICES, findService, type AddonRow, type AttachmentRow, type Plan, type Service } from '../../addons/index.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import { findApp } from './common.ts';
import { createHash } from 'node:crypto';

type Params = { app: string };
const iso = (t: string) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const EPOCH = '2026-01-01T00:00:00Z';

/** Stable ids for catalogue entries (they live in code, not rows): a UUID-shaped hash of the name. */
export function catalogId(name: string): string {
  const h = createHash('sha256').update(`slipway-addon-catalog:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Runs a handler, turning the add-on component's errors into Heroku-style API errors. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AddonError) throw new ApiError(err.status, err.id, err.message);
    throw err;
  }
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

export function addonRoutes(api: FastifyInstance, d: ApiDeps): void {
  const addons = d.addons;
  const appRef = async (id: string) => {
    const a = await d.db.selectFrom('apps').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
    return a ?? { id, name: 'unknown' };
  };

  const addonJson = async (row: AddonRow, message?: string) => {
    const { service, plan } = addons.serviceOf(row);
    const owner = await appRef(row.app_id);
    const own = await addons.attachments({ addonId: row.id, appId: row.app_id });
    const keys = Object.keys(JSON.parse(row.config) as Record<string, string>);
    return {
      id: row.id, name: row.name, addon_service: { id: catalogId(service.name), name: service.name },
      plan: { ...planJson(service, plan) }, app: owner, billing_entity: { id: owner.id, name: owner.name, type: 'app' },
      billed_price: { cents: plan.cents, contract: false, unit: 'month' },
      config_vars: own.flatMap((a) => keys.map((k) => `${a.name}_${k}`)),
      state: row.state === 'deprovisioning' ? 'deprovisioning' : row.state, provision_message: message ?? null,
      provider_id: row.name, web_url: null, actions: [], created_at: iso(row.created_at), updated_at: iso(row.updated_at),
    };
  };

  // Always with what `Accept-Inclusion: addon:plan,config_vars` asks for (the heroku CLI's pg commands read it).
  const attachmentJson = async (a: AttachmentRow) => {
    const addon = await addons.get(a.addon_id);
    const plan = `${addon.service}:${addon.plan}`;
    return {
      id: a.id, name: a.name, namespace: a.namespace,
      addon: { id: addon.id, name: addon.name, app: await appRef(addon.app_id), plan: { id: catalogId(plan), name: plan } },
      app: await appRef(a.app_id),
      config_vars: Object.keys(JSON.parse(addon.config) as Record<string, string>).map((k) => `${a.name}_${k}`),
      web_url: null, log_input_url: null, created_at: iso(a.created_at), updated_at: iso(a.updated_at),
    };
  };

  // ---- catalogue (no auth needed on Heroku; ours asks for the key like every route) ----
  const service = (idOrName: string) => {
    const s = SERVICES.find((x) => x.name === idOrName || catalogId(x.name) === idOrName);
    if (!s) throw notFound('addon-service', `Couldn't find that add-on service (${idOrName}). Available: ${SERVICES.map((x) => x.name).join(', ')}.`);
    return s;
  };
  api.get('/addon-services', async () => SERVICES.map(serviceJson));
  api.get<{ Params: { id: string } }>('/addon-services/:id', async (req) => serviceJson(service(req.params.id)));
  api.get<{ Params: { id: string } }>('/addon-services/:id/plans', async (req) => {
    const s = service(req.params.id);
    return s.plans.map((p) => planJson(s, p));
  });
  const plan = (s: Service, idOrName: string) => {
    const p = s.plans.find((x) => x.name === idOrName || `${s.name}:${x.name}` === idOrName || catalogId(`${s.name}:${x.name}`) === idOrName);
    if (!p) throw notFound('plan', `Couldn't find that plan (${idOrName}). Available: ${s.plans.map((x) => `${s.name}:${x.name}`).join(', ')}.`);
    return planJson(s, p);
  };
  api.get<{ Params: { id: string; plan: string } }>('/addon-services/:id/plans/:plan', async (req) => plan(service(req.params.id), req.params.plan));
  api.get<{ Params: { id: string } }>('/plans/:id', async (req) => {
    const s = SERVICES.find((x) => x.plans.some((p) => `${x.name}:${p.name}` === req.params.id || catalogId(`${x.name}:${p.name}`) === req.params.id));
    if (!s) throw notFound('plan', `Couldn't find that plan (${req.params.id}).`);
    return plan(s, req.params.id);
  });

  // ---- add-ons ----
  api.get('/addons', async () => Promise.all((await addons.list()).map((r) => addonJson(r))));
  api.get<{ Params: Params }>('/apps/:app/addons', async (req) => {
    const a = await findApp(d, req.params.app);
    return Promise.all((await addons.listForApp(a.id)).map((r) => addonJson(r)));
  });
  api.get<{ Params: { id: string } }>('/addons/:id', async (req) => guard(async () => addonJson(await addons.get(req.params.id))));
  api.get<{ Params: Params & { id: string } }>('/apps/:app/addons/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    return guard(async () => addonJson(await addons.get(req.params.id, a.id)));
  });

  api.post<{ Params: Params }>('/apps/:app/addons', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { plan?: unknown; attachment?: { name?: unknown }; name?: unknown; confirm?: unknown; config?: unknown };
    const planSpec = typeof body.plan === 'string' ? body.plan : (body.plan as { name?: unknown } | undefined)?.name;
    if (typeof planSpec !== 'string' || !planSpec) throw invalid('plan is required: e.g. {"plan": "heroku-postgresql:essential-0"}.');
    const str = (v: unknown, what: string) => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw invalid(`${what} must be a string.`);
      return v;
    };
    const row = await guard(() => addons.create({
      app: a, user: req.account, plan: planSpec, attachment: str(body.attachment?.name, 'attachment.name'),
      name: str(body.name, 'name'), confirm: str(body.confirm, 'confirm'),
    }));
    reply.status(201);
    return addonJson(row, row.service === 'heroku-postgresql' ? 'Database has been created and is available' : undefined);
  });

  api.patch<{ Params: Params & { id: string } }>('/apps/:app/addons/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { plan?: unknown };
    const planSpec = typeof body.plan === 'string' ? body.plan : (body.plan as { name?: unknown } | undefined)?.name;
    if (typeof planSpec !== 'string' || !planSpec) throw invalid('plan is required: e.g. {"plan": "heroku-postgresql:essential-1"}.');
    return guard(async () => {
      const addon = await addons.get(req.params.id, a.id);
      if (addon.app_id !== a.id) throw new AddonError(422, 'invalid_params', `${addon.name} is owned by ${(await appRef(addon.app_id)).name}, not ${a.name}.`);
      return addonJson(await addons.changePlan(addon, planSpec, req.account));
    });
  });

  api.delete<{ Params: Params & { id: string } }>('/apps/:app/addons/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const force = (req.body as { force?: unknown } | undefined)?.force === true;
    return guard(async () => {
      const addon = await addons.get(req.params.id, a.id);
      if (addon.app_id !== a.id) throw new AddonError(422, 'invalid_params', `${addon.name} is on ${(await appRef(addon.app_id)).name} not ${a.name}.`);
      const shown = await addonJson(addon);
      await addons.destroy(addon, req.account, force);
      return { ...shown, state: 'deprovisioned', config_vars: [] };
    });
  });

  api.post('/actions/addons/resolve', async (req) => {
    const body = (req.body ?? {}) as { addon?: unknown; app?: unknown; addon_service?: unknown };
    if (typeof body.addon !== 'string' || !body.addon) throw invalid('addon is required: an add-on name, id or attachment name.');
    let appId: string | undefined;
    let addonName = body.addon;
    let appName = typeof body.app === 'string' ? body.app : undefined;
    if (addonName.includes('::')) [appName, addonName] = addonName.split('::', 2) as [string, string];
    if (appName) appId = (await findApp(d, appName)).id;
    const row = await addons.find(addonName, appId);
    if (!row || (typeof body.addon_service === 'string' && row.service !== body.addon_service)) {
      throw notFound('add_on', `Couldn't find that add-on (${body.addon}).`);
    }
    return [await addonJson(row)];
  });

  // ---- attachments ----
  api.get('/addon-attachments', async () => Promise.all((await addons.attachments()).map(attachmentJson)));
  api.get<{ Params: { id: string } }>('/addon-attachments/:id', async (req) => guard(async () => attachmentJson(await addons.attachment(req.params.id))));
  api.get<{ Params: { id: string } }>('/addons/:id/addon-attachments', async (req) => guard(async () => {
    const addon = await addons.get(req.params.id);
    return Promise.all((await addons.attachments({ addonId: addon.id })).map(attachmentJson));
  }));
  api.get<{ Params: Params }>('/apps/:app/addon-attachments', async (req) => {
    const a = await findApp(d, req.params.app);
    return Promise.all((await addons.attachments({ appId: a.id })).map(attachmentJson));
  });
  api.get<{ Params: Params & { id: string } }>('/apps/:app/addon-attachments/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    return guard(async () => attachmentJson(await addons.attachment(req.params.id, a.id)));
  });
  api.post('/actions/addon-attachments/resolve', async (req) => {
    const body = (req.body ?? {}) as { addon_attachment?: unknown; app?: unknown };
    if (typeof body.addon_attachment !== 'string' || typeof body.app !== 'string') throw invalid('addon_attachment and app are required.');
    const a = await findApp(d, body.app);
    return guard(async () => [await attachmentJson(await addons.attachment(body.addon_attachment as string, a.id))]);
  });

  api.post('/addon-attachments', async (req, reply) => {
    const body = (req.body ?? {}) as { addon?: unknown; app?: unknown; name?: unknown; confirm?: unknown };
    const ref = (v: unknown) => (typeof v === 'string' ? v : typeof (v as { name?: unknown })?.name === 'string' ? (v as { name: string }).name
      : typeof (v as { id?: unknown })?.id === 'string' ? (v as { id: string }).id : undefined);
    const addonRef = ref(body.addon);
    const appName = ref(body.app);
    if (!addonRef || !appName) throw invalid('addon and app are required: {"addon": {"name": "..."}, "app": {"name": "..."}}.');
    const a = await findApp(d, appName);
    const row = await guard(async () => addons.attach({
      addon: await addons.get(addonRef), app: a, user: req.account,
      name: typeof body.name === 'string' ? body.name : undefined, confirm: typeof body.confirm === 'string' ? body.confirm : undefined,
    }));
    reply.status(201);
    return attachmentJson(row);
  });

  api.delete<{ Params: { id: string } }>('/addon-attachments/:id', async (req) => guard(async () => {
    const att = await addons.attachment(req.params.id);
    const shown = await attachmentJson(att);
    await addons.detach(att, req.account);
    return shown;
  }));

  // ---- Slipway's data routes (Heroku serves these from its data API) ----
  api.get<{ Params: { id: string } }>('/addons/:id/info', async (req) => guard(async () => {
    const addon = await addons.get(req.params.id);
    return { addon: await addonJson(addon), info: (await addons.info(addon)).map(([name, value]) => ({ name, values: [value] })) };
  }));
  // Heroku's data API path for pg:info (the heroku CLI asks it at HEROKU_DATA_HOST); the CLI adds the Add-on line itself.
  api.get<{ Params: { id: string } }>('/client/v11/databases/:id', async (req) => guard(async () => {
    const addon = await addons.get(req.params.id);
    const info = (await addons.info(addon)).filter(([name]) => name !== 'Add-on');
    return { resource_url: (JSON.parse(addon.config) as { URL?: string }).URL ?? null, info: info.map(([name, value]) => ({ name, values: [value] })) };
  }));
  // And its path for redis:info (by add-on name).
  api.get<{ Params: { id: string } }>('/redis/v0/databases/:id', async (req) => guard(async () => {
    const addon = await addons.get(req.params.id);
    if (addon.service === 'heroku-postgresql') throw notFound('add_on', `${addon.name} is not a Redis add-on.`);
    return {
      resource_url: (JSON.parse(addon.config) as { URL?: string }).URL ?? null, plan: addon.plan,
      info: (await addons.info(addon)).map(([name, value]) => ({ name, values: [value] })),
    };
  }));
  // And its paths for pg:credentials:rotate: the default credential (the only one here), or all of them.
  const rotatePg = async (req: { params: { id: string; cred?: string }; account: { id: string; email: string } }) => guard(async () => {
    const addon = await addons.get(req.params.id);
    if (addon.service !== 'heroku-postgresql') throw notFound('add_on', `${addon.name} is not a heroku-postgresql database.`);
    if (req.params.cred !== undefined && req.params.cred !== 'default') {
      throw invalid(`${addon.name} has only the default credential; rotate that one (without --name).`);
    }
    await addons.rotateCredentials(addon, req.account);
    return { message: 'Credentials rotated' };
  });
  api.post<{ Params: { id: string; cred: string } }>('/postgres/v0/databases/:id/credentials/:cred/credentials_rotation', (req) => rotatePg(req));
  api.post<{ Params: { id: string } }>('/postgres/v0/databases/:id/credentials_rotation', (req) => rotatePg(req));
  api.post<{ Params: { id: string } }>('/addons/:id/actions/rotate-credentials', async (req) => guard(async () => {
    const addon = await addons.get(req.params.id);
    if (!findService(addon.service)) throw invalid(`${addon.name} has no credentials to rotate.`);
    await addons.rotateCredentials(addon, req.account);
    return addonJson((await addons.get(addon.id)));
  }));
}
