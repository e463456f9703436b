// The API's root (what this server is, and where git reaches it) and the `run` rendezvous's CA (the
// calling account is oauth.ts's).
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';

export type AccountRouteDeps = Pick<ApiDeps, 'rendezvous' | 'publicUrl' | 'gitSshPort'>;

export function accountRoutes(api: Api, d: AccountRouteDeps): void {
  api.get('/', { schema: { summary: 'What this server is (no key needed)' } }, async () => {
    const ssh = d.gitSshPort?.();
    // Where an app's repo is: over HTTP(S) at its git_url, over SSH at ssh://git@<host>:<port>/<app>.git.
    return { name: 'slipway', api: 'Heroku Platform API v3', git: { http: d.publicUrl, ssh: ssh ? `ssh://git@${new URL(d.publicUrl).hostname}:${ssh}` : null } };
  });
  api.get('/rendezvous/ca.pem', { schema: { summary: 'The CA that signs the run rendezvous certificate' } },
    async (_req, reply) => reply.type('application/x-pem-file').send(d.rendezvous.caPem));
}
