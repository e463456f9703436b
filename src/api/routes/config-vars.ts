// Config vars: GET the app's (decrypted), PATCH to set (`null` removes); each change is a release.
import { Type } from 'typebox';
import { checkChanges } from '../../releases/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AppParams, said } from '../schemas.ts';

export type ConfigVarRouteDeps = Pick<ApiDeps, 'apps' | 'releases'>;

// Names and values are checked by the release ledger's rules (checkChanges), whose messages name the var.
const Changes = Type.Record(Type.String(), Type.Unknown(), {
  description: '{"KEY": "value"}; null removes a key',
  ...said('Expected a JSON object of config vars, e.g. {"KEY": "value"} (null removes a key).'),
});

export function configVarRoutes(api: Api, d: ConfigVarRouteDeps): void {
  api.get('/apps/:app/config-vars', { schema: { params: AppParams } }, async (req) => d.releases.configVars((await d.apps.find(req.params.app)).id));

  api.patch('/apps/:app/config-vars', { schema: { summary: 'Set or remove config vars (a new release)', params: AppParams, body: Changes } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    await d.releases.setConfig(a.id, req.account, checkChanges(req.body));
    return d.releases.configVars(a.id);
  });
}
