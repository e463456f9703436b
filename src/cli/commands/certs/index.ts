// `slipway certs`: the app's SNI endpoints (uploaded certificates) and the domains each serves.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { table } from '../../ux.ts';
import type { Domain } from '../domains/index.ts';

export interface SniEndpoint {
  id: string;
  name: string;
  domains: string[];
  ssl_cert: { cert_domains: string[]; expires_at: string; starts_at: string; issuer: string; subject: string; 'ca_signed?': boolean };
}

export const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Whether `hostname` is covered by one of the certificate's names (`*.example.com` covers one label). */
export function certCovers(certDomains: readonly string[], hostname: string): boolean {
  const h = hostname.toLowerCase();
  return certDomains.some((d) => {
    const n = d.toLowerCase();
    if (n.startsWith('*.')) return h.endsWith(n.slice(1)) && !h.slice(0, -(n.length - 1)).includes('.');
    return n === h;
  });
}

export default defineCommand({
  id: 'certs',
  description: 'list SSL certificates for an app',
  flags: { ...appFlags, json: jsonFlag },
  examples: ['slipway certs -a demo'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const [endpoints, domains] = await Promise.all([
      api.get<SniEndpoint[]>(`/apps/${encodeURIComponent(app)}/sni-endpoints`),
      api.get<Domain[]>(`/apps/${encodeURIComponent(app)}/domains`),
    ]);
    if (flags.json) return ui.json(endpoints);
    if (endpoints.length === 0) return ui.log(`${app} has no SSL certificates.\nUse slipway certs:add CRT KEY to add one.`);
    const hostOf = new Map(domains.map((d) => [d.id, d.hostname]));
    ui.lines(table([
      ['Name', 'Common Name(s)', 'Expires', 'Trusted', 'Type', 'Domains'],
      ...endpoints.map((e) => [e.name, e.ssl_cert.cert_domains.join(', '), utc(e.ssl_cert.expires_at), e.ssl_cert['ca_signed?'] ? 'True' : 'False', 'SNI',
        e.domains.map((id) => hostOf.get(id) ?? id).join(', ')]),
    ]));
  },
});
