// What the platform offers, as Heroku lists it: regions (`heroku regions`), stacks (`heroku stack`,
// `stack:set`), account-wide labs features (none: `heroku labs`), and the buildpack registry's name lookup (`buildpacks:set heroku/nodejs` with
// HEROKU_BUILDPACK_REGISTRY_URL pointing here) for the built-in buildpacks.
import { Type } from 'typebox';
import { BUILTIN_BUILDPACKS } from '../../build/buildpacks.ts';
import { notFound } from '../../errors.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';

export type CatalogRouteDeps = Pick<ApiDeps, 'stack'>;

/** The one region: this platform's machines. Apps show it as their `region`. No `provider`: Heroku's names only cloud regions there. */
export const REGION = {
  id: 'local', name: 'us', description: 'This Slipway platform', country: 'Local', locale: 'local', private_capable: false,
  created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
};

/** Where registry names for the built-in buildpacks resolve: what buildpack installations accept. */
export const BUILDPACK_URN = 'urn:buildpack:';

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export function catalogRoutes(api: Api, d: CatalogRouteDeps): void {
  const stackOf = () => ({ id: d.stack, name: d.stack, state: 'public', default: true, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });

  api.get('/regions', { schema: { summary: 'The regions apps can run in (one: this platform)' } }, async () => [REGION]);
  api.get('/regions/:id', { schema: { params: IdParams } }, async (req) => {
    if (req.params.id !== REGION.id && req.params.id !== REGION.name) throw notFound('region', `Couldn't find that region (${req.params.id}); this platform has one: ${REGION.name}.`);
    return REGION;
  });
  api.get('/stacks', { schema: { summary: 'The stacks apps can build and run on (one: the platform\'s)' } }, async () => [stackOf()]);
  api.get('/stacks/:id', { schema: { params: IdParams } }, async (req) => {
    const stack = stackOf();
    if (req.params.id !== stack.id) throw notFound('stack', `Couldn't find that stack (${req.params.id}); this platform runs ${stack.name}.`);
    return stack;
  });
  // Every feature here is an app's (`/apps/{app}/features`); accounts have none.
  api.get('/account/features', { schema: { summary: 'Account labs features (none on this platform)' } }, async () => []);
  api.get('/account/features/:id', { schema: { params: IdParams } }, async (req) => {
    // The official CLI's reviewapps:enable asks whether GitHub repositories back pipelines; not here.
    if (req.params.id === 'dashboard-repositories-api') {
      return { id: req.params.id, name: req.params.id, enabled: false, state: 'general', description: 'Pipelines read their repository from GitHub (not on this platform)', doc_url: '', display_name: '', feedback_email: '' };
    }
    throw notFound('feature', `Couldn't find that feature (${req.params.id}); accounts have none here, apps have theirs (heroku features -a APP).`);
  });
  api.get('/buildpacks/:slug', { schema: { summary: 'The buildpack registry\'s lookup of a buildpack name, for the built-in buildpacks (no key needed)', params: Type.Object({ slug: Type.String({ maxLength: 200 }) }) } }, async (req) => {
    const b = BUILTIN_BUILDPACKS.find((x) => x.names[0] === req.params.slug);
    const names = BUILTIN_BUILDPACKS.map((x) => x.names[0]).join(', ');
    if (!b) throw notFound('buildpack', `${req.params.slug} is not one of this platform's buildpacks (${names}); give a git URL for any other.`);
    const [namespace, name] = b.names[0]!.split('/') as [string, string];
    return { id: b.names[0], namespace, name, description: `The built-in ${name} buildpack`, blob_url: `${BUILDPACK_URN}${b.names[0]}`, source: { type: 'builtin' } };
  });
}
