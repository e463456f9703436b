// Slipway's routes for what Heroku serves from its data API: add-on facts for pg:info / redis:info and
// credentials (listing, URL, rotation), at our paths and at Heroku's own (the heroku CLI asks HEROKU_DATA_HOST).
import { Type } from 'typebox';
import { findService } from '../../addons/index.ts';
import { invalid, notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, IdParams } from '../schemas.ts';
import { addonGuards, addonViews, type AddonRouteDeps } from './addons.ts';

const CredParams = Type.Object({ id: Type.String(), cred: Type.String({ description: 'credential name (only "default" here)' }) });

export function addonDataRoutes(api: Api, d: AddonRouteDeps): void {
  const addons = d.addons;
  const view = addonViews(d);
  const guard = addonGuards(d);
  type Caller = { id: string; email: string };
  const info = async (caller: Caller, id: string) => {
    const addon = await guard.reachable(caller, id);
    return { addon, info: (await addons.info(addon)).map(([name, value]) => ({ name, values: [value] })) };
  };
  const url = (config: string) => (JSON.parse(config) as { URL?: string }).URL ?? null;

  api.get('/addons/:id/info', { schema: { params: IdParams } }, async (req) => {
    const { addon, info: lines } = await info(req.account, req.params.id);
    return { addon: await view.addon(addon), info: lines };
  });
  // Heroku's data API path for pg:info; the CLI adds the Add-on line itself.
  api.get('/client/v11/databases/:id', { schema: { params: IdParams } }, async (req) => {
    const { addon, info: lines } = await info(req.account, req.params.id);
    return { resource_url: url(addon.config), info: lines.filter((l) => l.name !== 'Add-on') };
  });
  // And its path for redis:info (by add-on name).
  api.get('/redis/v0/databases/:id', { schema: { params: IdParams } }, async (req) => {
    const addon = await guard.reachable(req.account, req.params.id);
    if (addon.service === 'heroku-postgresql') throw notFound('add_on', `${addon.name} is not a Redis add-on.`);
    const { info: lines } = await info(req.account, addon.id);
    return { resource_url: url(addon.config), plan: addon.plan, info: lines };
  });
  // And its paths for pg:credentials and pg:credentials:url: the one credential, `default`, from the URL the
  // apps get (its host is the add-on network's address: reachable from the platform's machine and its
  // dynos, not from elsewhere). Only members of an app that owns or attaches the database see it, as they
  // see that URL in their config vars; the listing leaves the password out.
  const credential = async (caller: Caller, id: string, withPassword: boolean) => {
    const addon = await guard.reachable(caller, id);
    if (addon.service !== 'heroku-postgresql') throw notFound('add_on', `${addon.name} is not a heroku-postgresql database.`);
    const u = new URL(url(addon.config) ?? 'postgres://unknown/');
    return {
      uuid: addon.id, name: 'default', state: 'active', database: u.pathname.slice(1), host: u.hostname, port: Number(u.port || 5432),
      credentials: [{ user: decodeURIComponent(u.username), state: 'active', connections: null, ...(withPassword ? { password: decodeURIComponent(u.password) } : {}) }],
    };
  };
  api.get('/postgres/v0/databases/:id/credentials', { schema: { summary: "The database's credentials (pg:credentials)", params: IdParams } },
    async (req) => [await credential(req.account, req.params.id, false)]);
  api.get('/postgres/v0/databases/:id/credentials/:cred', { schema: { summary: 'One credential with its password (pg:credentials:url)', params: CredParams } }, async (req) => {
    const cred = await credential(req.account, req.params.id, true);
    if (req.params.cred !== 'default') throw notFound('credential', `${req.params.id} has only the default credential.`);
    return cred;
  });
  // And its paths for pg:credentials:rotate: the default credential (the only one here), or all of them.
  const rotatePg = async (id: string, cred: string | undefined, user: Caller) => {
    const addon = await guard.reachable(user, id, true);
    if (addon.service !== 'heroku-postgresql') throw notFound('add_on', `${addon.name} is not a heroku-postgresql database.`);
    if (cred !== undefined && cred !== 'default') throw invalid(`${addon.name} has only the default credential; rotate that one (without --name).`);
    await addons.rotateCredentials(addon, user);
    return { message: 'Credentials rotated' };
  };
  api.post('/postgres/v0/databases/:id/credentials/:cred/credentials_rotation', { schema: { params: CredParams, body: AnyBody } },
    (req) => rotatePg(req.params.id, req.params.cred, req.account));
  api.post('/postgres/v0/databases/:id/credentials_rotation', { schema: { params: IdParams, body: AnyBody } },
    (req) => rotatePg(req.params.id, undefined, req.account));
  api.post('/addons/:id/actions/rotate-credentials', { schema: { params: IdParams, body: AnyBody } }, async (req) => {
    const addon = await guard.reachable(req.account, req.params.id, true);
    if (!findService(addon.service)) throw invalid(`${addon.name} has no credentials to rotate.`);
    await addons.rotateCredentials(addon, req.account);
    return view.addon(await addons.get(addon.id));
  });
}
