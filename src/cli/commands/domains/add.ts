// `slipway domains:add www.example.com`: the router answers that host for the app
// (POST /apps/A/domains), then says where to point DNS.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { Domain } from './index.ts';

export default defineCommand({
  id: 'domains:add',
  description: 'add a domain to an app',
  args: [{ name: 'hostname', description: 'the domain, e.g. www.example.com', required: true }],
  flags: { ...appFlags, cert: flag.string({ description: 'the SNI endpoint (certs) to serve it with' }) },
  examples: ['slipway domains:add www.example.com -a demo'],
  async run(ctx) {
    const { args, flags, api, ui } = ctx;
    const app = await ctx.app();
    if (!args.hostname) throw new CliError('Give the domain to add, e.g. slipway domains:add www.example.com');
    const d = await ui.action(`Adding ${args.hostname} to ${app}`, () =>
      api.post<Domain>(`/apps/${encodeURIComponent(app)}/domains`, { hostname: args.hostname, sni_endpoint: flags.cert ?? null }));
    ui.log(`Configure your app's DNS provider to point to the DNS Target ${d.cname}.`);
    ui.log(`For help, see https://devcenter.heroku.com/articles/custom-domains`);
  },
});
