// App webhooks (Heroku's App Webhooks): an app's subscriptions (`include` event types, `level`, receiver
// URL, signing secret), the events the platform publishes for the app (`emit`), and one delivery per
// event and subscribed webhook. Each delivery is a signed POST (`Heroku-Webhook-Hmac-SHA256`) of Heroku's
// payload shape; every attempt is recorded with its code or error. `notify` webhooks get one delivery
// (retried only while the receiver cannot be reached at all: refused, unreachable);
// `sync` ones are retried with exponential back-off (`retryBaseMs` doubling, capped at `retryMaxMs`) up to
// `maxAttempts`, then failed. Bounds: 10 webhooks per app, 8 deliveries in flight at once, events kept
// `keepMs` (7 days) with their deliveries. Secrets and Authorization values are encrypted at rest.
//
// Components tell of their changes through `publish`, which never waits: it checks an in-memory copy of
// which app subscribes to what (nothing more happens when no webhook wants it), starts the payload's
// serialization at once (while what it describes still exists), and queues it. One worker records the
// queued events in order. The queue holds at most QUEUE_MAX events; past that an event is dropped and
// logged (a receiver that cannot keep up never slows a release or a scale). With a store other platform
// processes share, the copy is read again every `followMs` (2 s from the platform): a webhook added
// through one process is heard by the others within that.
import { randomBytes, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { ALLOW_SETTING, refusal, type EgressPolicy } from '../egress/index.ts';
import { PlatformError } from '../errors.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import { now, type Db } from '../store/index.ts';
import type { AppWebhookDeliveriesTable, AppWebhookEventsTable, AppWebhooksTable } from '../store/schema.ts';
import { apiTime } from '../store/time.ts';
import { attempt, sign, urlProblem, type AttemptResult } from './deliver.ts';

export { sign } from './deliver.ts';
export type WebhookRow = AppWebhooksTable;
export type EventRow = AppWebhookEventsTable;
export type DeliveryRow = AppWebhookDeliveriesTable;

/** The event types Heroku's app webhooks offer. */
export const EVENT_TYPES = [
  'api:addon', 'api:addon-attachment', 'api:app', 'api:build', 'api:collaborator', 'api:domain', 'api:dyno',
  'api:formation', 'api:release', 'api:sni-endpoint', 'dyno',
];
export const LEVELS = ['notify', 'sync'];
export const WEBHOOKS_PER_APP = 10;
const IN_FLIGHT = 8;
/** Errors meaning no request reached the receiver. */
const UNREACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const NOTIFY_UNREACHED_ATTEMPTS = 3;
const QUEUE_MAX = 1000;

export type Action = 'create' | 'update' | 'destroy';
export interface Actor { id: string; email: string }
/** What an event says of its resource: `data` in the API's shape, `previous_data` the changed fields' old values. */
export interface EventBody { data: unknown; actor?: Actor | null; previous_data?: object }
interface Queued { appId: string; include: string; action: Action; made: Promise<EventBody | undefined> }

export interface WebhookSealer {
  encrypt(plain: string, aad: string): string;
  decrypt(stored: string, aad: string): string;
}

export interface WebhooksOptions {
  db: Db;
  egress: EgressPolicy;
  sealer: WebhookSealer;
  /** First retry of a sync delivery after this long; each next one after twice the last (default 10 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  maxAttempts?: number;
  attemptTimeoutMs?: number;
  keepMs?: number;
  /**
   * With a store other platform processes share (PostgreSQL): the in-memory copy of who subscribes to
   * what is read again this often, so a webhook added through another process is heard here within it.
   */
  followMs?: number;
  logger?: Logger;
}

export interface WebhookInput { include?: string[]; level?: string; url?: string; secret?: string | null; authorization?: string | null }

const bad = (message: string) => new PlatformError(422, 'invalid_params', message);
const aad = (w: Pick<WebhookRow, 'app_id' | 'id'>, field: 'secret' | 'authorization') => `app_webhooks:${w.app_id}:${w.id}:${field}`;

export class Webhooks {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private follower?: NodeJS.Timeout;
  private readonly inFlight = new Set<string>();
  private lastPrune = 0;
  private stopped = false;
  /** Per app, the event types some webhook of it includes; undefined until first loaded. */
  private subs?: Map<string, Set<string>>;
  /** Changes of the copy made by this process (a whole read begun before one does not replace it). */
  private edits = 0;
  private readonly loading: Promise<void>;
  private readonly queue: Queued[] = [];
  private draining = false;

  constructor(private readonly o: WebhooksOptions) {
    this.logger = componentLogger(o.logger, 'webhooks');
    this.loading = this.loadSubs().catch((err) => this.logger.error({ err }, 'loading webhook subscriptions failed (every event is checked in the store)'));
    if (o.followMs) {
      this.follower = setInterval(() => {
        void this.loadSubs().catch((err) => this.logger.warn({ err }, 'reading webhook subscriptions again failed (the previous copy stays)'));
      }, o.followMs);
      this.follower.unref();
    }
  }

  private async loadSubs(): Promise<void> {
    const edits = this.edits;
    const subs = new Map<string, Set<string>>();
    for (const r of await this.o.db.selectFrom('app_webhooks').select(['app_id', 'include']).execute()) {
      subs.set(r.app_id, new Set([...(subs.get(r.app_id) ?? []), ...(JSON.parse(r.include) as string[])]));
    }
    // A change made here meanwhile is newer than this read: the next one takes it in.
    if (this.subs && edits !== this.edits) return;
    this.subs = subs;
  }

  /** The app's webhooks changed: its line of the in-memory copy is read again. */
  private async refreshSubs(appId: string): Promise<void> {
    await this.loading;
    const rows = await this.list(appId);
    this.edits++;
    this.subs?.set(appId, new Set(rows.flatMap((r) => JSON.parse(r.include) as string[])));
  }

  // ---- subscriptions ----

  list(appId: string): Promise<WebhookRow[]> {
    return this.o.db.selectFrom('app_webhooks').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();
  }

  async find(appId: string, id: string): Promise<WebhookRow> {
    const row = await this.o.db.selectFrom('app_webhooks').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlatformError(404, 'not_found', `Couldn't find that webhook: list the app's webhooks with webhooks -a APP.`, 'app_webhook');
    return row;
  }

  /** Adds a webhook; answers with the row and its secret (generated when none is given, shown once). */
  async add(appId: string, input: WebhookInput): Promise<{ row: WebhookRow; secret: string }> {
    const checked = check(input, true);
    this.checkTarget(checked.url);
    if ((await this.list(appId)).length >= WEBHOOKS_PER_APP) throw bad(`An app may have at most ${WEBHOOKS_PER_APP} webhooks: remove one first (webhooks:remove).`);
    const secret = input.secret ?? randomBytes(20).toString('hex');
    const t = now();
    const row: WebhookRow = {
      id: randomUUID(), app_id: appId, include: JSON.stringify(checked.include), level: checked.level!, url: checked.url!,
      secret: null, authorization: null, created_at: t, updated_at: t,
    };
    row.secret = this.o.sealer.encrypt(secret, aad(row, 'secret'));
    if (input.authorization) row.authorization = this.o.sealer.encrypt(input.authorization, aad(row, 'authorization'));
    await this.o.db.insertInto('app_webhooks').values(row).execute();
    await this.refreshSubs(appId);
    return { row, secret };
  }

  async update(appId: string, id: string, input: WebhookInput): Promise<WebhookRow> {
    const row = await this.find(appId, id);
    const checked = check(input, false);
    this.checkTarget(checked.url);
    const next: WebhookRow = { ...row, updated_at: now() };
    if (checked.include) next.include = JSON.stringify(checked.include);
    if (checked.level) next.level = checked.level;
    if (checked.url) next.url = checked.url;
    if (input.secret) next.secret = this.o.sealer.encrypt(input.secret, aad(row, 'secret'));
    if (input.authorization) next.authorization = this.o.sealer.encrypt(input.authorization, aad(row, 'authorization'));
    await this.o.db.updateTable('app_webhooks').set(next).where('id', '=', id).execute();
    await this.refreshSubs(appId);
    return next;
  }

  async remove(appId: string, id: string): Promise<WebhookRow> {
    const row = await this.find(appId, id);
    await this.o.db.deleteFrom('app_webhooks').where('id', '=', id).execute();
    await this.refreshSubs(appId);
    return row;
  }

  /** A receiver at a literal internal address is refused when added (one whose name resolves to one, at delivery). */
  private checkTarget(url: string | undefined): void {
    if (!url) return;
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    const why = isIP(host) ? refusal(host, this.o.egress) : undefined;
    if (why) throw bad(`url ${host} is not reachable for webhooks: ${why}. The operator may allow internal targets with ${ALLOW_SETTING}.`);
  }

  // ---- events and deliveries ----

  events(appId: string): Promise<EventRow[]> {
    return this.o.db.selectFrom('app_webhook_events').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();
  }

  async event(appId: string, id: string): Promise<EventRow> {
    const row = await this.o.db.selectFrom('app_webhook_events').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlatformError(404, 'not_found', "Couldn't find that webhook event.", 'app_webhook_event');
    return row;
  }

  deliveries(appId: string, status?: string): Promise<DeliveryRow[]> {
    let q = this.o.db.selectFrom('app_webhook_deliveries').selectAll().where('app_id', '=', appId);
    if (status) q = q.where('status', '=', status);
    return q.orderBy('created_at').execute();
  }

  async delivery(appId: string, id: string): Promise<DeliveryRow> {
    const row = await this.o.db.selectFrom('app_webhook_deliveries').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlatformError(404, 'not_found', "Couldn't find that webhook delivery: list them with webhooks:deliveries -a APP.", 'app_webhook_delivery');
    return row;
  }

  /**
   * A change of one of the app's resources (`include` such as `api:formation`), told by the component
   * where it happened. Returns at once: `make` (the payload) is called only when a webhook of the app
   * includes the event type, started now and recorded in order by the queue's worker.
   */
  publish(appId: string, include: string, action: Action, make: () => Promise<EventBody | undefined>): void {
    if (this.stopped || (this.subs && !this.subs.get(appId)?.has(include))) return;
    if (this.queue.length >= QUEUE_MAX) {
      this.logger.warn({ app: appId, include }, `webhook event dropped: ${QUEUE_MAX} events are waiting to be recorded`);
      return;
    }
    const made = make().catch((err) => { this.logger.error({ err, app: appId, include }, 'serializing a webhook event failed'); return undefined; });
    this.queue.push({ appId, include, action, made });
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const body = await job.made;
        if (body) await this.emit({ id: job.appId, name: job.appId }, job.include, job.action, body.data, body.actor ?? undefined, body.previous_data);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Resolves once every event published so far is recorded (tests, and a stopping platform). */
  async settled(): Promise<void> {
    for (let i = 0; i < 200 && (this.draining || this.queue.length > 0); i++) await new Promise((r) => setTimeout(r, 25));
  }

  /**
   * Publishes an event of the app (`include` such as `api:release`, `action` create/update/destroy, `data`
   * the resource in the API's shape): one event row, and a delivery for each webhook that includes it.
   * Never throws (an event that cannot be recorded is logged).
   */
  async emit(app: { id: string; name: string }, include: string, action: string, data: unknown, actor?: Actor, previous?: object): Promise<void> {
    try {
      const hooks = (await this.list(app.id)).filter((w) => (JSON.parse(w.include) as string[]).includes(include));
      if (hooks.length === 0) return;
      const t = now();
      const id = randomUUID();
      const payload = {
        id, created_at: apiTime(t), updated_at: apiTime(t), published_at: apiTime(t), action, actor: actor ?? null, data,
        previous_data: previous ?? {}, resource: include.replace(/^api:/, ''), sequence: null, version: 'application/vnd.heroku+json; version=3',
      };
      await this.o.db.transaction().execute(async (trx) => {
        await trx.insertInto('app_webhook_events').values({ id, app_id: app.id, include, payload: JSON.stringify(payload), created_at: t, updated_at: t }).execute();
        for (const w of hooks) {
          await trx.insertInto('app_webhook_deliveries').values({
            id: randomUUID(), app_id: app.id, event_id: id, webhook_id: w.id, status: 'pending', num_attempts: 0,
            next_attempt_at: t, attempts: '[]', created_at: t, updated_at: t,
          }).execute();
        }
      });
      this.kick();
    } catch (err) {
      this.logger.error({ err, app: app.name, include }, 'recording a webhook event failed');
    }
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    await this.settled();
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.follower) clearInterval(this.follower);
    for (let i = 0; i < 100 && this.inFlight.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  }

  /** Sends what is due, at most IN_FLIGHT at once; a delivery in flight is never picked twice. */
  private kick(): void {
    if (this.stopped) return;
    void this.sendDue().catch((err) => this.logger.error({ err }, 'webhook delivery pass failed'));
  }

  private async sendDue(): Promise<void> {
    const free = IN_FLIGHT - this.inFlight.size;
    if (free <= 0) return;
    const t = now();
    if (Date.now() - this.lastPrune > 3600_000) {
      this.lastPrune = Date.now();
      const cutoff = new Date(Date.now() - (this.o.keepMs ?? 7 * 86400_000)).toISOString();
      await this.o.db.deleteFrom('app_webhook_events').where('created_at', '<', cutoff).execute();
    }
    const due = await this.o.db.selectFrom('app_webhook_deliveries').selectAll()
      .where('status', 'in', ['pending', 'retrying']).where('next_attempt_at', '<=', t)
      .orderBy('next_attempt_at').limit(free + this.inFlight.size).execute();
    for (const d of due) {
      if (this.inFlight.size >= IN_FLIGHT) break;
      if (this.inFlight.has(d.id)) continue;
      this.inFlight.add(d.id);
      void this.send(d).catch((err) => this.logger.error({ err, delivery: d.id }, 'webhook delivery failed'))
        .finally(() => this.inFlight.delete(d.id));
    }
  }

  private async send(d: DeliveryRow): Promise<void> {
    const { db } = this.o;
    const hook = await db.selectFrom('app_webhooks').selectAll().where('id', '=', d.webhook_id).executeTakeFirst();
    const event = await db.selectFrom('app_webhook_events').selectAll().where('id', '=', d.event_id).executeTakeFirst();
    if (!hook || !event) return; // removed meanwhile (its deliveries go with it)
    const attemptId = randomUUID();
    const payload = JSON.parse(event.payload) as Record<string, unknown>;
    payload.webhook_metadata = { attempt: { id: attemptId }, delivery: { id: d.id }, event: { id: event.id, include: event.include }, webhook: { id: hook.id } };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'Heroku-Webhook-Id': d.id };
    if (hook.secret) headers['Heroku-Webhook-Hmac-SHA256'] = sign(body, this.o.sealer.decrypt(hook.secret, aad(hook, 'secret')));
    if (hook.authorization) headers.Authorization = this.o.sealer.decrypt(hook.authorization, aad(hook, 'authorization'));
    const started = now();
    let result: AttemptResult;
    try {
      result = await attempt(hook.url, body, headers, this.o.egress, this.o.attemptTimeoutMs ?? 30_000);
    } catch (err) {
      result = { code: null, errorClass: 'Error', detail: (err as Error).message.slice(0, 200) };
    }
    const n = d.num_attempts + 1;
    const attempts = [...(JSON.parse(d.attempts) as unknown[]), { id: attemptId, code: result.code, error_class: result.errorClass, status: result.errorClass ? 'failed' : 'succeeded', created_at: started, updated_at: now() }].slice(-50);
    const ok = result.errorClass === null;
    // notify is one delivery, fire and forget; but an attempt that never reached the receiver (refused,
    // unreachable) delivered nothing, so it is tried again, up to NOTIFY_UNREACHED_ATTEMPTS.
    const unreached = result.errorClass !== null && UNREACHED.has(result.errorClass) && n < NOTIFY_UNREACHED_ATTEMPTS;
    const retry = !ok && (hook.level === 'sync' ? n < (this.o.maxAttempts ?? 10) : unreached);
    const delay = Math.min((this.o.retryBaseMs ?? 10_000) * 2 ** (n - 1), this.o.retryMaxMs ?? 3600_000);
    const status = ok ? 'succeeded' : retry ? 'retrying' : 'failed';
    await db.updateTable('app_webhook_deliveries').set({
      status, num_attempts: n, attempts: JSON.stringify(attempts), updated_at: now(),
      next_attempt_at: retry ? new Date(Date.now() + delay).toISOString() : null,
    }).where('id', '=', d.id).execute();
    if (!ok) this.logger.info({ delivery: d.id, webhook: hook.id, attempt: n }, `webhook delivery attempt ${n} ${result.detail}${retry ? `; retrying in ${Math.round(delay / 1000)} s` : ''}`);
  }
}

function check(input: WebhookInput, creating: boolean): WebhookInput {
  const out: WebhookInput = {};
  if (input.include !== undefined || creating) {
    const include = input.include ?? [];
    if (!Array.isArray(include) || include.length === 0) throw bad(`include must list event types, e.g. ["api:release"]; one or more of ${EVENT_TYPES.join(', ')}.`);
    const unknown = include.filter((i) => !EVENT_TYPES.includes(i));
    if (unknown.length) throw bad(`include ${JSON.stringify(unknown[0]).slice(0, 60)} is not an event type: use ${EVENT_TYPES.join(', ')}.`);
    out.include = [...new Set(include)];
  }
  if (input.level !== undefined || creating) {
    if (!LEVELS.includes(input.level ?? '')) throw bad('level must be "notify" (one attempt) or "sync" (retried until it succeeds).');
    out.level = input.level;
  }
  if (input.url !== undefined || creating) {
    const problem = urlProblem(input.url ?? '');
    if (problem) throw bad(problem);
    out.url = input.url;
  }
  for (const f of ['secret', 'authorization'] as const) {
    const v = input[f];
    if (v != null && (typeof v !== 'string' || v.length > 1024 || v.length === 0)) throw bad(`${f} must be a string of 1 to 1024 characters.`);
  }
  return out;
}

/** A delivery in Heroku's shape (`webhooks:deliveries`). */
export function deliveryShape(d: DeliveryRow, w: Pick<WebhookRow, 'id' | 'level'> | undefined, e: Pick<EventRow, 'id' | 'include'> | undefined) {
  const attempts = JSON.parse(d.attempts) as { id: string; code: number | null; error_class: string | null; status: string; created_at: string; updated_at: string }[];
  const last = attempts.at(-1);
  return {
    id: d.id, created_at: apiTime(d.created_at), updated_at: apiTime(d.updated_at), status: d.status, num_attempts: d.num_attempts,
    next_attempt_at: apiTime(d.next_attempt_at && d.status === 'retrying' ? d.next_attempt_at : null),
    event: { id: d.event_id, include: e?.include ?? null }, webhook: { id: d.webhook_id, level: w?.level ?? null },
    last_attempt: last ? { ...last, created_at: apiTime(last.created_at), updated_at: apiTime(last.updated_at) } : null,
    // Slipway's addition: every attempt, oldest first.
    attempts: attempts.map((a) => ({ ...a, created_at: apiTime(a.created_at), updated_at: apiTime(a.updated_at) })),
  };
}

export function webhookShape(w: WebhookRow, app: { id: string; name: string }) {
  return {
    id: w.id, app: { id: app.id, name: app.name }, include: JSON.parse(w.include) as string[], level: w.level, url: w.url,
    created_at: apiTime(w.created_at), updated_at: apiTime(w.updated_at),
  };
}

export function eventShape(e: EventRow) {
  return { id: e.id, include: e.include, payload: JSON.parse(e.payload) as unknown, created_at: apiTime(e.created_at), updated_at: apiTime(e.updated_at) };
}
