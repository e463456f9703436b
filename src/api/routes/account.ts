// The API's root and the `run` rendezvous's CA (the calling account is oauth.ts's).
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';

export type AccountRouteDeps = Pick<ApiDeps, 'rendezvous'>;

export function accountRoutes(api: Api, d: AccountRouteDeps): void {
  api.get('/', { schema: { summary: 'What this server is (no key needed)' } }, async () => ({ name: 'slipway', api: 'Heroku Platform API v3' }));
  api.get('/rendezvous/ca.pem', { schema: { summary: 'The CA that signs the run rendezvous certificate' } },
    async (_req, reply) => reply.type('application/x-pem-file').send(d.rendezvous.caPem));
}
