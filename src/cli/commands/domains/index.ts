// `slipway domains`: the app's default domain and its custom domains with their DNS targets
// (GET /apps/A/domains), laid out as the heroku CLI prints them.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { table } from '../../ux.ts';

export interface Domain { id: string; hostname: string; kind: 'heroku' | 'custom'; cname: string | null; sni_endpoint: { name: string } | null }

export default defineCommand({
  id: 'domains',
  description: 'list domains for an app',
  flags: { ...appFlags, json: jsonFlag },
  examples: ['slipway domains -a demo'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const domains = await api.get<Domain[]>(`/apps/${encodeURIComponent(app)}/domains`);
    if (flags.json) return ui.json(domains);
    ui.header(`${app} Heroku Domain`);
    for (const d of domains.filter((x) => x.kind === 'heroku')) ui.log(d.hostname);
    const custom = domains.filter((x) => x.kind === 'custom');
    if (custom.length === 0) return;
    ui.log();
    ui.header(`${app} Custom Domains`);
    ui.lines(table([
      ['Domain Name', 'DNS Record Type', 'DNS Target', 'SNI Endpoint'],
      ...custom.map((d) => [d.hostname, d.hostname.split('.').length > 2 ? 'CNAME' : 'ALIAS or ANAME', d.cname ?? '', d.sni_endpoint?.name ?? '']),
    ]));
  },
});
