// The API's root and the calling account (`GET /account`, `/users/~`), and the `run` rendezvous's CA.
import type { Account } from '../../accounts/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';

export type AccountRouteDeps = Pick<ApiDeps, 'rendezvous'>;

function account(a: Account) {
  return { id: a.id, email: a.email, name: a.email.split('@')[0], verified: true, two_factor_authentication: false, allow_tracking: false, beta: false };
}

export function accountRoutes(api: Api, d: AccountRouteDeps): void {
  api.get('/', { schema: { summary: 'What this server is (no key needed)' } }, async () => ({ name: 'slipway', api: 'Heroku Platform API v3' }));
  api.get('/account', { schema: { summary: 'The calling account' } }, async (req) => account(req.account));
  api.get('/users/~', { schema: { summary: 'The calling account' } }, async (req) => account(req.account));
  api.get('/rendezvous/ca.pem', { schema: { summary: 'The CA that signs the run rendezvous certificate' } },
    async (_req, reply) => reply.type('application/x-pem-file').send(d.rendezvous.caPem));
}
