// The route walk of test/teams.test.ts: the API's routes from the server's own table, and what to put in
// each route's parameters and body when a second account walks them with the first account's things.
import { createHttpApi } from '../../src/api/http.ts';
import { registerRoutes } from '../../src/api/server.ts';

/** Every route the API serves, from Fastify's own table as the server builds it. */
export async function routeTable(): Promise<{ method: string; url: string }[]> {
  const routes: { method: string; url: string }[] = [];
  const api = await createHttpApi({ authenticate: async () => undefined, onInternalError: () => undefined });
  api.addHook('onRoute', (r) => { for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url }); });
  registerRoutes(api, {} as never);
  await api.ready();
  await api.close();
  return routes;
}

/** The first account's things, as the API answered them when made. */
type Thing = any;
export interface WalkThings {
  r: string;
  password: string;
  apps: { alice: string; bob: string };
  emails: { alice: string; bob: string; carol: string };
  team: string;
  app: Thing; release: Thing; domain: Thing; drain: Thing; slug: Thing; auth: Thing; attachment: Thing; addon: Thing; pipe: Thing; coupling: Thing;
}

/** A value for each route parameter (`appName` for `:app`), and a body per route that would change something. */
export function walkInputs(t: WalkThings): { values: (route: string, param: string, appName: string) => string; bodies: Record<string, unknown> } {
  const { r, apps, emails, team, app, release, domain, drain, slug, auth, attachment, addon, pipe, coupling } = t;
  const PASSWORD = t.password;
  const values = (route: string, param: string, appName: string): string => {
    switch (param) {
      case 'app': return appName;
      case 'release': return String(release?.version ?? 1);
      case 'dyno': return 'web.1';
      case 'type': return 'web';
      case 'feature': return 'preboot';
      case 'domain': return domain.hostname;
      case 'drain': return drain.id;
      case 'name': return 'b001';
      case 'collaborator': return emails.alice;
      case 'team': return team;
      case 'member': return emails.carol;
      case 'account': return emails.alice;
      case 'cred': return 'default';
      case 'plan': return 'mini';
      default:
        if (route.includes('/slugs/')) return slug.id;
        if (route.includes('/oauth/')) return auth.id;
        if (route.includes('addon-attachments/')) return attachment.id;
        if (route.startsWith('/pipeline-couplings/')) return coupling.id;
        if (route.startsWith('/pipelines/')) return pipe.id;
        if (route.includes('addon-services') || route.startsWith('/plans')) return 'heroku-redis';
        return addon.name;
    }
  };
  const bodies: Record<string, unknown> = {
    'PATCH /apps/:app/config-vars': { STOLEN: '1', SECRET: 'overwritten' },
    'PATCH /apps/:app': { name: `stolen-${r}`, maintenance: true },
    'POST /apps/:app/collaborators': { user: emails.bob },
    'POST /teams/apps/:app/collaborators': { user: emails.bob },
    'PATCH /teams/apps/:app': { owner: emails.bob },
    'POST /account/app-transfers': { app: apps.alice, recipient: emails.bob },
    'PUT /teams/:team/members': { email: emails.bob, role: 'admin' },
    'PATCH /teams/:team/members': { email: emails.bob, role: 'admin' },
    'PATCH /accounts/:account': { disabled: true },
    'POST /accounts': { email: `eve-${r}@example.com`, password: PASSWORD },
    'POST /addon-attachments': { addon: addon.name, app: apps.bob },
    'POST /actions/addons/resolve': { addon: addon.name },
    'POST /actions/addon-attachments/resolve': { addon_attachment: attachment.name, app: apps.alice },
    'POST /apps/:app/releases': { slug: slug.id },
    'PATCH /apps/:app/formation': { updates: [{ type: 'web', quantity: 0 }] },
    'PATCH /apps/:app/formation/:type': { quantity: 0 },
    'POST /apps/:app/domains': { hostname: `stolen.${r}.example.test` },
    'PATCH /apps/:app/domains/:domain': { sni_endpoint: null },
    'PATCH /apps/:app/features/:feature': { enabled: true },
    'POST /apps/:app/log-sessions': { lines: 10 },
    'POST /apps/:app/dynos': { command: 'true' },
    'POST /apps/:app/log-drains': { url: 'https://127.0.0.1:9/stolen' },
    'PATCH /oauth/authorizations/:id': { description: 'stolen' },
    'POST /teams/apps': { name: `bob-team-${r}`, team },
    'POST /apps': { name: `bob-in-team-${r}`, team },
    'PUT /apps/:app/buildpack-installations': { updates: [{ buildpack: 'https://example.test/bp.tgz' }] },
    'PATCH /apps/:app/addons/:id': { plan: 'heroku-redis:premium-0' },
    'PATCH /pipelines/:id': { name: `stolen-${r}` },
    'POST /pipeline-couplings': { app: apps.bob, pipeline: pipe.id, stage: 'production' },
    'PATCH /pipeline-couplings/:id': { stage: 'review' },
    'POST /pipeline-promotions': { pipeline: { id: pipe.id }, source: { app: { id: app.id } } },
    'POST /filters/apps': { in: { id: [app.id] } },
  };
  return { values, bodies };
}
