// /apps, /apps/{app} and buildpack installations.
import { Type } from 'typebox';
import { MANAGING_ROLES, type AppRole } from '../../apps/access.ts';
import type { AppRow } from '../../apps/index.ts';
import { teamOwnerEmail } from '../../apps/teams.ts';
import { PlatformError } from '../errors.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppParams, Maybe, said } from '../schemas.ts';
import * as s from '../serialize.ts';

export type AppRouteDeps = Pick<ApiDeps, 'apps' | 'buildpacks' | 'publicUrl' | 'domain' | 'routerPort'> & Partial<Pick<ApiDeps, 'access' | 'teams'>>
  & { accounts: Pick<ApiDeps['accounts'], 'users'> };

/** An app as the API shows it: a team app's owner is the team, as `<team>@herokumanager.com` (as on Heroku). */
export function appView(d: Omit<AppRouteDeps, 'buildpacks'>) {
  return async (a: AppRow) => {
    const team = a.team_id ? await d.teams?.byId(a.team_id) : undefined;
    const owner = team ? { id: team.id, email: teamOwnerEmail(team.name) } : (await d.accounts.users([a.owner_id])).get(a.owner_id)!;
    return { ...s.app(d, a, owner, await d.apps.slugSize(a.id)), team: team ? { id: team.id, name: team.name } : null };
  };
}

/** Who may do what to an app the route names (route tests run without `access`: everything allowed). */
export const roleOf = (req: { appAccess?: { role: string } }) => req.appAccess?.role ?? 'owner';

const NAME_TEXT = 'Name must be a string.';
const CreateBody = Type.Object({
  name: Maybe(Type.String(), NAME_TEXT),
  stack: Maybe(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()) })]), 'stack must be a stack name, e.g. "heroku-24".'),
  team: Maybe(Type.String(), 'team must be a team name.'),
}, { description: 'Other keys the CLI sends (region, space, kernel, locked, ...) are ignored. With `team`, the team owns the app.' });
const UpdateBody = Type.Object({
  name: Type.Optional(Type.String(said(NAME_TEXT))),
  maintenance: Type.Optional(Type.Boolean(said('maintenance must be true or false.'))),
  build_stack: Type.Optional(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()) })], said('build_stack must be a stack name.'))),
});
const BuildpacksBody = Type.Object({
  updates: Type.Array(Type.Object({
    buildpack: Type.String({ minLength: 1, ...said('{field} must be a buildpack URL or name.') }),
  }, said('{field} must be {"buildpack": "<url or name>"}.')), said('Expected {"updates": [{"buildpack": "<url or name>"}, ...]}.')),
}, said('Expected {"updates": [{"buildpack": "<url or name>"}, ...]}.'));

export function appRoutes(api: Api, d: AppRouteDeps): void {
  const show = appView(d);

  const create = async (req: { account: { id: string; email: string }; body: { name?: string | null; stack?: string | { name?: string } | null; team?: string | null } }) => {
    const team = req.body.team && d.teams ? await d.teams.forMember(req.account, req.body.team) : undefined;
    return show(await d.apps.create(req.account, { name: req.body.name, stack: req.body.stack, ...(team ? { team } : {}) }));
  };
  api.post('/apps', { schema: { summary: 'Create an app', body: CreateBody } }, async (req, reply) => {
    const shown = await create(req);
    reply.status(201);
    return shown;
  });
  api.post('/teams/apps', { schema: { summary: "Create an app in a team (or the caller's, without team)", body: CreateBody } }, async (req, reply) => {
    const shown = await create(req);
    reply.status(201);
    return shown;
  });

  const list = async (req: { account: { id: string } }) => {
    const all = await d.apps.list();
    return Promise.all((d.access ? await d.access.visible(req.account.id, all) : all).map(show));
  };
  api.get('/apps', { schema: { summary: 'List the apps the caller can reach' } }, list);
  api.get('/users/~/apps', { schema: { summary: "List the caller's apps" } }, list);
  api.get('/apps/:app', { schema: { params: AppParams } }, async (req) => show(await d.apps.find(req.params.app)));

  api.patch('/apps/:app', { schema: { summary: 'Rename an app, or turn maintenance mode on or off', params: AppParams, body: UpdateBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    if (req.body.name !== undefined && req.body.name !== a.name && !MANAGING_ROLES.includes(roleOf(req) as AppRole)) {
      throw new PlatformError(403, 'forbidden', `Only the owner of ${a.name}${a.team_id ? ' or an admin of its team' : ''} can rename it.`);
    }
    // `stack:set`: one stack here, so naming it changes nothing and any other is refused.
    if (req.body.build_stack !== undefined) d.apps.checkStack(req.body.build_stack);
    return show(await d.apps.update(a, { name: req.body.name, maintenance: req.body.maintenance, user: req.account }));
  });

  api.delete('/apps/:app', { config: { manage: true }, schema: { summary: 'Destroy an app and all it owns', params: AppParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const shown = await show(a);
    await d.apps.destroy(a, req.account);
    return shown;
  });

  const installation = (i: { ordinal: number; url: string; name: string }) => ({ ordinal: i.ordinal, buildpack: { url: i.url, name: i.name } });
  api.get('/apps/:app/buildpack-installations', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.buildpacks.list(a.id)).map(installation);
  });
  api.put('/apps/:app/buildpack-installations', { schema: { summary: 'Set the buildpacks, in order', params: AppParams, body: BuildpacksBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.buildpacks.set(a.id, req.body.updates.map((u) => u.buildpack))).map(installation);
  });
}
