// Config vars: GET the app's (decrypted), PATCH to set (`null` removes); each change is a release.
import type { FastifyInstance } from 'fastify';
import { checkChanges, ConfigVarError } from '../../releases/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid } from '../errors.ts';
import { findApp } from './common.ts';

type Params = { app: string };

export function configVarRoutes(api: FastifyInstance, d: ApiDeps): void {
  api.get<{ Params: Params }>('/apps/:app/config-vars', async (req) => d.releases.configVars((await findApp(d, req.params.app)).id));

  api.patch<{ Params: Params }>('/apps/:app/config-vars', async (req) => {
    const a = await findApp(d, req.params.app);
    try {
      await d.releases.setConfig(a.id, req.account, checkChanges(req.body));
    } catch (err) {
      if (err instanceof ConfigVarError) throw invalid(err.message);
      throw err;
    }
    return d.releases.configVars(a.id);
  });
}
