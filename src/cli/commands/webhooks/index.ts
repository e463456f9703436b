// The webhooks commands (heroku CLI names and flags): webhooks, webhooks:add, :info, :update, :remove,
// :deliveries, :deliveries:info, :events, :events:info, on /apps/{app}/webhooks and its deliveries and events.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { UsageError } from '../../errors.ts';
import { table } from '../../ux.ts';

interface Webhook { id: string; include: string[]; level: string; url: string; created_at: string }
interface Delivery {
  id: string; created_at: string; status: string; num_attempts: number; next_attempt_at: string | null;
  event: { id: string; include: string }; webhook: { id: string; level: string };
  last_attempt: { code: number | null; error_class: string | null } | null;
}
interface WebhookEvent { id: string; include: string; created_at: string; payload: { resource: string; action: string; published_at: string } }

const path = (app: string, rest: string) => `/apps/${encodeURIComponent(app)}/${rest}`;
const includeFlag = () => flag.string({ char: 'i', helpValue: 'INCLUDE', description: 'comma delimited event types your server will receive (api:build, api:release, api:formation, api:addon-attachment, dyno, ...)' });
const levelFlag = () => flag.string({ char: 'l', helpValue: 'LEVEL', description: 'notify does not retry, sync will retry until successful or timeout' });
const urlFlag = () => flag.string({ char: 'u', helpValue: 'URL', description: 'URL for receiver' });
const secretFlag = flag.string({ char: 's', helpValue: 'SECRET', description: 'value to sign delivery with in Heroku-Webhook-Hmac-SHA256 header' });
const split = (v: string | undefined) => v?.split(',').map((s) => s.trim()).filter(Boolean);

export const list = defineCommand({
  id: 'webhooks',
  description: 'list webhooks on an app',
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const hooks = await ctx.api.get<Webhook[]>(path(app, 'webhooks'));
    if (ctx.flags.json) return ctx.ui.json(hooks);
    if (hooks.length === 0) return ctx.ui.log(`${app} has no webhooks\nUse slipway webhooks:add to add one.`);
    ctx.ui.lines(table([['Webhook ID', 'URL', 'Include', 'Level'], ...hooks.map((w) => [w.id, w.url, w.include.join(','), w.level])]));
  },
});

export const add = defineCommand({
  id: 'webhooks:add',
  description: 'add a webhook to an app\nWithout --secret one is generated; it is shown once.',
  flags: { ...appFlags, include: includeFlag(), level: levelFlag(), url: urlFlag(), secret: secretFlag, authorization: flag.string({ char: 't', helpValue: 'AUTHORIZATION', description: 'authorization header to send with webhooks' }) },
  examples: ['slipway webhooks:add -i api:release -l notify -u https://example.com/hooks'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    for (const [name, v] of [['--include', flags.include], ['--level', flags.level], ['--url', flags.url]] as const) {
      if (!v) throw new UsageError(`Missing required flag ${name}: slipway webhooks:add -i api:release -l notify -u https://example.com/hooks`);
    }
    const app = await ctx.app();
    const res = await ui.action(`Adding webhook to ${app}`, () => api.request<Webhook>('POST', path(app, 'webhooks'), {
      body: { include: split(flags.include), level: flags.level, url: flags.url, secret: flags.secret, authorization: flags.authorization },
    }));
    const secret = res.headers.get('heroku-webhook-secret');
    if (secret) {
      ui.header('Webhooks Signing Secret');
      ui.log(secret);
    }
  },
});

export const info = defineCommand({
  id: 'webhooks:info',
  description: 'info for a webhook on an app',
  args: [{ name: 'id', description: 'ID of the webhook', required: true }],
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const w = await ctx.api.get<Webhook>(path(app, `webhooks/${encodeURIComponent(ctx.args.id!)}`));
    if (ctx.flags.json) return ctx.ui.json(w);
    ctx.ui.header(w.id);
    ctx.ui.lines(table([['Include:', w.include.join(',')], ['Level:', w.level], ['URL:', w.url], ['Webhook ID:', w.id]]));
  },
});

export const update = defineCommand({
  id: 'webhooks:update',
  description: 'updates a webhook in an app',
  args: [{ name: 'id', description: 'ID of the webhook', required: true }],
  flags: { ...appFlags, include: includeFlag(), level: levelFlag(), url: urlFlag(), secret: secretFlag },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    await ui.action(`Updating webhook ${ctx.args.id} for ${app}`, () => api.patch(path(app, `webhooks/${encodeURIComponent(ctx.args.id!)}`), {
      include: split(flags.include), level: flags.level, url: flags.url, secret: flags.secret,
    }));
  },
});

export const remove = defineCommand({
  id: 'webhooks:remove',
  description: 'removes a webhook from an app',
  args: [{ name: 'id', description: 'ID of the webhook', required: true }],
  flags: { ...appFlags },
  async run(ctx) {
    const app = await ctx.app();
    await ctx.ui.action(`Removing webhook ${ctx.args.id} from ${app}`, () => ctx.api.delete(path(app, `webhooks/${encodeURIComponent(ctx.args.id!)}`)));
  },
});

export const deliveries = defineCommand({
  id: 'webhooks:deliveries',
  description: 'list webhook deliveries on an app\nEvery attempt of each is kept (deliveries:info --json shows them).',
  flags: { ...appFlags, status: flag.string({ char: 's', helpValue: 'STATUS', description: 'filter deliveries by status (pending, retrying, succeeded, failed)' }), json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const q = ctx.flags.status ? `?eq[status]=${encodeURIComponent(ctx.flags.status)}` : '';
    const list = await ctx.api.get<Delivery[]>(path(app, `webhook-deliveries${q}`));
    if (ctx.flags.json) return ctx.ui.json(list);
    if (list.length === 0) return ctx.ui.log(`${app} has no deliveries`);
    ctx.ui.lines(table([['Delivery ID', 'Created', 'Status', 'Include', 'Level', 'Attempts', 'Code', 'Error', 'Next Attempt'], ...list.map((d) => [
      d.id, d.created_at, d.status, d.event.include, d.webhook.level ?? '', String(d.num_attempts), String(d.last_attempt?.code ?? ''), d.last_attempt?.error_class ?? '', d.next_attempt_at ?? '',
    ])]));
  },
});

export const deliveryInfo = defineCommand({
  id: 'webhooks:deliveries:info',
  description: 'info for a webhook delivery, with its event payload',
  args: [{ name: 'id', description: 'ID of the webhook delivery', required: true }],
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const d = await ctx.api.get<Delivery>(path(app, `webhook-deliveries/${encodeURIComponent(ctx.args.id!)}`));
    const e = await ctx.api.get<WebhookEvent>(path(app, `webhook-events/${d.event.id}`));
    if (ctx.flags.json) return ctx.ui.json({ ...d, payload: e.payload });
    ctx.ui.header(d.id);
    ctx.ui.lines(table([
      ['Created:', d.created_at], ['Event:', d.event.id], ['Webhook:', d.webhook.id], ['Status:', d.status], ['Include:', d.event.include],
      ['Level:', d.webhook.level ?? ''], ['Attempts:', String(d.num_attempts)], ['Code:', String(d.last_attempt?.code ?? '')],
      ['Error:', d.last_attempt?.error_class ?? ''], ['Next Attempt:', d.next_attempt_at ?? ''],
    ]));
    ctx.ui.header('Event Payload');
    ctx.ui.json(e.payload);
  },
});

export const events = defineCommand({
  id: 'webhooks:events',
  description: 'list webhook events on an app',
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const list = await ctx.api.get<WebhookEvent[]>(path(app, 'webhook-events'));
    if (ctx.flags.json) return ctx.ui.json(list);
    if (list.length === 0) return ctx.ui.log(`${app} has no events`);
    ctx.ui.lines(table([['Event ID', 'Resource', 'Action', 'Published At'], ...list.map((e) => [e.id, e.payload.resource, e.payload.action, e.payload.published_at])]));
  },
});

export const eventInfo = defineCommand({
  id: 'webhooks:events:info',
  description: 'info for a webhook event on an app',
  args: [{ name: 'id', description: 'ID of the webhook event', required: true }],
  flags: { ...appFlags },
  async run(ctx) {
    const app = await ctx.app();
    const e = await ctx.api.get<WebhookEvent>(path(app, `webhook-events/${encodeURIComponent(ctx.args.id!)}`));
    ctx.ui.header(e.id);
    ctx.ui.json(e.payload);
  },
});
