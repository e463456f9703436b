// /apps, /apps/{app} and buildpack installations.
import { Type } from 'typebox';
import type { AppRow } from '../../apps/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppParams, Maybe, said } from '../schemas.ts';
import * as s from '../serialize.ts';

export type AppRouteDeps = Pick<ApiDeps, 'apps' | 'accounts' | 'buildpacks' | 'publicUrl' | 'domain' | 'routerPort'>;

const NAME_TEXT = 'Name must be a string.';
const CreateBody = Type.Object({
  name: Maybe(Type.String(), NAME_TEXT),
  stack: Maybe(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()) })]), 'stack must be a stack name, e.g. "heroku-24".'),
}, { description: 'Other keys the CLI sends (region, team, space, kernel, locked, ...) are ignored.' });
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
  const show = async (a: AppRow) => {
    const owner = (await d.accounts.users([a.owner_id])).get(a.owner_id)!;
    return s.app(d, a, owner, await d.apps.slugSize(a.id));
  };

  api.post('/apps', { schema: { summary: 'Create an app', body: CreateBody } }, async (req, reply) => {
    const a = await d.apps.create(req.account, { name: req.body.name, stack: req.body.stack });
    reply.status(201);
    return show(a);
  });

  const list = async () => Promise.all((await d.apps.list()).map(show));
  api.get('/apps', { schema: { summary: 'List apps' } }, list);
  api.get('/users/~/apps', { schema: { summary: "List the caller's apps" } }, list);
  api.get('/apps/:app', { schema: { params: AppParams } }, async (req) => show(await d.apps.find(req.params.app)));

  api.patch('/apps/:app', { schema: { summary: 'Rename an app, or turn maintenance mode on or off', params: AppParams, body: UpdateBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    // `stack:set`: one stack here, so naming it changes nothing and any other is refused.
    if (req.body.build_stack !== undefined) d.apps.checkStack(req.body.build_stack);
    return show(await d.apps.update(a, req.body));
  });

  api.delete('/apps/:app', { schema: { summary: 'Destroy an app and all it owns', params: AppParams, body: AnyBody } }, async (req) => {
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
