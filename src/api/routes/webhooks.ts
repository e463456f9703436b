// App webhooks: /apps/{app}/webhooks (add, list, show, update, remove), /apps/{app}/webhook-deliveries
// (`eq[status]=` filters; the Range header's `order` and `max`) and /apps/{app}/webhook-events. The secret goes out once, in the add's
// `Heroku-Webhook-Secret` header (generated when none was given), as Heroku does; never in a body.
import { Type } from 'typebox';
import { deliveryShape, eventShape, webhookShape } from '../../webhooks/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, Maybe, said } from '../schemas.ts';

export type WebhookRouteDeps = Pick<ApiDeps, 'apps' | 'webhooks'>;

const OneParams = Type.Object({ app: AppName, id: Type.String() });
const ADD_TEXT = 'Expected {"include": ["api:release"], "level": "notify", "url": "https://example.com/hooks", "secret": "..."}.';
const Fields = {
  include: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20, ...said('include must list event types, e.g. ["api:release", "api:build"].') }),
  level: Type.String(said('level must be "notify" or "sync".')),
  url: Type.String(said('url must be an http(s) URL.')),
};
const AddBody = Type.Object({
  ...Fields, secret: Maybe(Type.String(), 'secret must be a string.'), authorization: Maybe(Type.String(), 'authorization must be a string.'),
}, said(ADD_TEXT));
const UpdateBody = Type.Object({
  include: Maybe(Fields.include), level: Maybe(Fields.level), url: Maybe(Fields.url),
  secret: Maybe(Type.String(), 'secret must be a string.'), authorization: Maybe(Type.String(), 'authorization must be a string.'),
});

export function webhookRoutes(api: Api, d: WebhookRouteDeps): void {
  api.get('/apps/:app/webhooks', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.webhooks.list(a.id)).map((w) => webhookShape(w, a));
  });
  api.post('/apps/:app/webhooks', { schema: { summary: 'Add a webhook', params: AppParams, body: AddBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const b = req.body;
    const { row, secret } = await d.webhooks.add(a.id, { include: b.include, level: b.level, url: b.url, secret: b.secret ?? null, authorization: b.authorization ?? null });
    reply.status(201).header('Heroku-Webhook-Secret', secret);
    return webhookShape(row, a);
  });
  api.get('/apps/:app/webhooks/:id', { schema: { params: OneParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return webhookShape(await d.webhooks.find(a.id, req.params.id), a);
  });
  api.patch('/apps/:app/webhooks/:id', { schema: { summary: 'Update a webhook', params: OneParams, body: UpdateBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const b = req.body;
    return webhookShape(await d.webhooks.update(a.id, req.params.id, {
      include: b.include ?? undefined, level: b.level ?? undefined, url: b.url ?? undefined, secret: b.secret ?? null, authorization: b.authorization ?? null,
    }), a);
  });
  api.delete('/apps/:app/webhooks/:id', { schema: { params: OneParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return webhookShape(await d.webhooks.remove(a.id, req.params.id), a);
  });

  api.get('/apps/:app/webhook-deliveries', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const status = (req.query as Record<string, unknown>)['eq[status]'];
    const hooks = new Map((await d.webhooks.list(a.id)).map((w) => [w.id, w]));
    const events = new Map((await d.webhooks.events(a.id)).map((e) => [e.id, e]));
    const list = (await d.webhooks.deliveries(a.id, typeof status === 'string' ? status : undefined)).map((x) => deliveryShape(x, hooks.get(x.webhook_id), events.get(x.event_id)));
    // The CLI asks `Range: seq ..; order=desc,max=1000`: the newest first, at most 1,000.
    const range = String(req.headers.range ?? '');
    if (/order=desc/.test(range)) list.reverse();
    return list.slice(0, Math.min(1000, Number(/max=(\d+)/.exec(range)?.[1] ?? 1000)));
  });
  api.get('/apps/:app/webhook-deliveries/:id', { schema: { params: OneParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const x = await d.webhooks.delivery(a.id, req.params.id);
    const hook = await d.webhooks.find(a.id, x.webhook_id).catch(() => undefined);
    return deliveryShape(x, hook, await d.webhooks.event(a.id, x.event_id).catch(() => undefined));
  });
  api.get('/apps/:app/webhook-events', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await d.webhooks.events(a.id)).map(eventShape);
  });
  api.get('/apps/:app/webhook-events/:id', { schema: { params: OneParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return eventShape(await d.webhooks.event(a.id, req.params.id));
  });
}
