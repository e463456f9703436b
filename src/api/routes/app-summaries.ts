// `GET /app-summaries` (Slipway's addition, for the dashboard's apps list): every app the caller reaches,
// as `GET /apps` shows it, with its formation, the release its dynos run and its formation dynos counted
// by state, in one answer: the list costs one request however many apps there are, where asking each
// app's formation, dynos and releases would cost three per app. Who sees which app is apps/access.ts's
// decision, as for `GET /apps`.
import type { DynoState } from '../../dynos/dyno.ts';
import { sizeOrDefault } from '../../runtime/sizes.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { type AppRouteDeps, appView } from './apps.ts';

export type AppSummaryDeps = Omit<AppRouteDeps, 'buildpacks'> & Pick<ApiDeps, 'access' | 'releases'> & {
  dynos: { formation: Pick<ApiDeps['dynos']['formation'], 'list'>; dynos: ApiDeps['dynos']['dynos'] };
};

export function appSummaryRoutes(api: Api, d: AppSummaryDeps): void {
  const show = appView(d);
  api.get('/app-summaries', { schema: { summary: 'The apps the caller can reach, each with its formation, current release and dyno states (for lists)' } }, async (req) => {
    const apps = await d.access.visible(req.account.id, await d.apps.list());
    const summaries = await Promise.all(apps.map(async (a) => {
      const [app, formation, release] = await Promise.all([show(a), d.dynos.formation.list(a.id), d.releases.current(a.id)]);
      const dynos: Partial<Record<DynoState, number>> = {};
      // One-off dynos (run.N, scheduler, release) are not the app's formation: they do not make its status.
      for (const x of d.dynos.dynos(a.id)) if (formation.some((f) => f.type === x.spec.type)) dynos[x.state] = (dynos[x.state] ?? 0) + 1;
      return { app, formation, release, dynos };
    }));
    const users = await d.accounts.users(summaries.flatMap((s) => (s.release ? [s.release.user_id] : [])));
    return summaries.map(({ app, formation, release, dynos }) => ({
      ...app,
      formation: formation.map((f) => ({ type: f.type, quantity: f.quantity, size: sizeOrDefault(f.size).display })),
      current_release: release ? {
        id: release.id, version: release.version, description: release.description, created_at: iso(release.created_at),
        user: { id: release.user_id, email: users.get(release.user_id)?.email ?? null },
      } : null,
      dynos,
    }));
  });
}
