// Log drains of an app: /apps/{app}/log-drains (list, add, show and remove by id, URL or token).
import { Type } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, said } from '../schemas.ts';
import * as s from '../serialize.ts';

export type DrainRouteDeps = Pick<ApiDeps, 'apps' | 'drains'>;

const DrainParams = Type.Object({ app: AppName, drain: Type.String({ description: 'drain id, URL or token' }) });
const URL_TEXT = 'A drain needs a url, such as syslog+tls://logs.example.com:6514, syslog://logs.example.com:514 or https://user:pass@logs.example.com/drain.';
const AddBody = Type.Object({ url: Type.String(said(URL_TEXT)) }, said(URL_TEXT));

export function drainRoutes(api: Api, d: DrainRouteDeps): void {
  api.get('/apps/:app/log-drains', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.drains.list(a.id)).map((row) => s.logDrain(a, row));
  });

  api.post('/apps/:app/log-drains', { schema: { summary: 'Add a log drain', params: AppParams, body: AddBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const row = await d.drains.add(a.id, req.body.url);
    reply.status(201);
    return s.logDrain(a, row);
  });

  const notThere = (key: string) => notFound('log-drain', `Couldn't find that log drain (${key}). \`drains\` lists the app's drains.`);
  api.get('/apps/:app/log-drains/:drain', { schema: { params: DrainParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const row = await d.drains.find(a.id, req.params.drain);
    if (!row) throw notThere(req.params.drain);
    return s.logDrain(a, row);
  });
  api.delete('/apps/:app/log-drains/:drain', { schema: { params: DrainParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const row = await d.drains.remove(a.id, req.params.drain);
    if (!row) throw notThere(req.params.drain);
    return s.logDrain(a, row);
  });
}
