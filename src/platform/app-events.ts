// App webhooks' events, wired: each component tells of a change where it happens, through the `onChange`
// hook it is given here, and these turn the rows into Heroku's event bodies (`data` in the API's own
// shape, `actor`, `previous_data` for updates) published through webhooks (queued: the change never
// waits). The API's serializers are the one source of each shape, so an event shows a resource exactly
// as `GET` does. Serializing starts only when a webhook of the app includes the event type.
//
// Not published: `api:app` create (an app has no webhooks yet when it is made) and destroy (its webhooks
// go with it). Domain, SNI endpoint and collaborator events carry no actor (those components are not told
// who asked).
import { addonViews } from '../api/routes/addons.ts';
import { appView } from '../api/routes/apps.ts';
import { sniEndpointView } from '../api/routes/certs.ts';
import { collaboratorView } from '../api/routes/teams.ts';
import * as s from '../api/serialize.ts';
import type { ApiDeps } from '../api/deps.ts';
import { sizeOrDefault } from '../runtime/sizes.ts';
import type { Action, Actor, EventBody, Webhooks } from '../webhooks/index.ts';

/** What serializing needs; a getter, since the components are made after the hooks are handed out. */
export type AppEventDeps = Pick<ApiDeps, 'apps' | 'accounts' | 'teams' | 'addons' | 'sniEndpoints' | 'dynos' | 'publicUrl' | 'domain' | 'routerPort'>;

export function appEvents(webhooks: Pick<Webhooks, 'publish'>, deps: () => AppEventDeps) {
  const ref = async (appId: string) => { const a = await deps().apps.find(appId); return { id: a.id, name: a.name }; };
  const user = async (id: string): Promise<Actor> => (await deps().accounts.users([id])).get(id) ?? { id, email: '' };
  const byEmail = async (email: string): Promise<Actor | null> => {
    const a = await deps().accounts.find(email).catch(() => undefined);
    return a ? { id: a.id, email: a.email } : null;
  };
  const actorOf = async (u: { id?: string; email: string } | undefined): Promise<Actor | null> => (u ? (u.id ? { id: u.id, email: u.email } : byEmail(u.email)) : null);
  const publish = (appId: string, include: string, action: Action, make: () => Promise<EventBody>) => webhooks.publish(appId, include, action, make);
  const addonView = () => addonViews(deps());

  return {
    app: (action: 'update', row: Parameters<ReturnType<typeof appView>>[0], u: { id: string; email: string } | undefined, previous: object) =>
      publish(row.id, 'api:app', action, async () => ({ data: await appView(deps())(row), actor: await actorOf(u), previous_data: maintenanceAsBoolean(previous) })),
    release: (action: 'create' | 'update', r: Parameters<typeof s.release>[1], previous?: object) =>
      publish(r.app_id, 'api:release', action, async () => {
        const actor = await user(r.user_id);
        const data = s.release(await ref(r.app_id), r, actor, r.status === 'succeeded', { outputStreamUrl: null, eligibleForRollback: r.status === 'succeeded' });
        return { data, actor, previous_data: previous };
      }),
    build: (action: 'create' | 'update', b: Parameters<typeof s.build>[1], previous?: object) =>
      publish(b.app_id, 'api:build', action, async () => {
        const actor = await user(b.user_id);
        return { data: s.build(await ref(b.app_id), b, actor, null), actor, previous_data: previous };
      }),
    formation: (row: Parameters<typeof s.formation>[1], u: { id?: string; email: string }, previous: object) =>
      publish(row.app_id, 'api:formation', 'update', async () => {
        const types = await deps().dynos.processTypes(row.app_id);
        // The API shows a size by its display name (Standard-1X), as `data` does.
        const was = 'size' in previous ? { ...previous, size: sizeOrDefault(String(previous.size)).display } : previous;
        return { data: s.formation(await ref(row.app_id), row, types[row.type] ?? ''), actor: await actorOf(u), previous_data: was };
      }),
    dyno: (appId: string, dyno: Parameters<typeof s.dyno>[1], startedBy: string) =>
      publish(appId, 'api:dyno', 'create', async () => {
        const shown = s.dyno({ id: appId, name: '' }, dyno); // as it is now: the dyno changes on
        return { data: { ...shown, app: await ref(appId) }, actor: await byEmail(startedBy) };
      }),
    // Heroku's `dyno` events: `update` while a dyno starts, runs or stops; `destroy` once it has ended.
    state: (appId: string, dyno: Parameters<typeof s.dyno>[1], previous: string) =>
      publish(appId, 'dyno', ['crashed', 'down', 'complete'].includes(dyno.state) ? 'destroy' : 'update', async () => {
        const shown = s.dyno({ id: appId, name: '' }, dyno);
        return { data: { ...shown, app: await ref(appId) }, previous_data: { state: previous } };
      }),
    addon: (action: Action, row: Parameters<ReturnType<typeof addonViews>['addon']>[0], u: Actor, previous?: object) =>
      publish(row.app_id, 'api:addon', action, async () => ({
        data: { ...await addonView().addon(row), ...(action === 'destroy' ? { state: 'deprovisioned' } : {}) }, actor: u,
        previous_data: previous && 'plan' in previous ? { plan: { name: `${row.service}:${String(previous.plan)}` } } : previous,
      })),
    attachment: (action: Action, row: Parameters<ReturnType<typeof addonViews>['attachment']>[0], u: Actor) =>
      publish(row.app_id, 'api:addon-attachment', action, async () => ({ data: await addonView().attachment(row), actor: u })),
    domain: (action: Action, app: { id: string; name: string }, row: NonNullable<Parameters<typeof s.domain>[2]>, previous?: object) =>
      publish(app.id, 'api:domain', action, async () => {
        const appRow = await deps().apps.find(app.id);
        const sniRef = async (id: unknown) => (typeof id === 'string' ? (await deps().sniEndpoints.refs([id])).get(id) ?? null : null);
        const was = previous && 'sni_endpoint_id' in previous ? { sni_endpoint: await sniRef(previous.sni_endpoint_id) } : previous;
        return { data: s.domain(appRow, row.hostname, row, await sniRef(row.sni_endpoint_id)), previous_data: was };
      }),
    sniEndpoint: (action: Action, e: Parameters<ReturnType<typeof sniEndpointView>>[1]) =>
      publish(e.app_id, 'api:sni-endpoint', action, async () => ({ data: await sniEndpointView(deps())(await ref(e.app_id), e) })),
    collaborator: (action: Action, app: { id: string; name: string }, c: Parameters<typeof collaboratorView>[1]) =>
      publish(app.id, 'api:collaborator', action, async () => ({ data: collaboratorView(app, c) })),
  };
}

/** The store keeps maintenance as 0/1; the API (and so previous_data) says true/false. */
function maintenanceAsBoolean(previous: object): object {
  return 'maintenance' in previous ? { ...previous, maintenance: previous.maintenance === 1 } : previous;
}
