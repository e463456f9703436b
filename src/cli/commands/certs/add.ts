// `slipway certs:add CRT KEY`: uploads a certificate and key (POST /apps/A/sni-endpoints), then serves
// it for the app's custom domains it covers (or those named with --domains), as the heroku CLI's
// prompt would (PATCH /apps/A/domains/H {sni_endpoint}).

import { readFile } from 'node:fs/promises';
import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { Domain } from '../domains/index.ts';
import { certCovers, utc, type SniEndpoint } from './index.ts';

export default defineCommand({
  id: 'certs:add',
  description: 'add an SSL certificate to an app',
  args: [{ name: 'crt', description: 'PEM certificate (chain) file', required: true }, { name: 'key', description: 'PEM private key file', required: true }],
  flags: { ...appFlags, domains: flag.string({ description: 'comma-separated custom domains to serve it for (default: those it covers)' }) },
  examples: ['slipway certs:add server.crt server.key -a demo'],
  async run(ctx) {
    const { args, flags, api, ui } = ctx;
    const app = await ctx.app();
    if (!args.crt || !args.key) throw new CliError('Give the certificate and key files: slipway certs:add server.crt server.key');
    const read = (path: string) => readFile(path, 'utf8').catch(() => { throw new CliError(`Could not read ${path}: give a PEM file that exists.`); });
    const [chain, key] = await Promise.all([read(args.crt), read(args.key)]);
    const e = await ui.action(`Adding SSL certificate to ${app}`, () =>
      api.post<SniEndpoint>(`/apps/${encodeURIComponent(app)}/sni-endpoints`, { certificate_chain: chain, private_key: key }));
    const custom = (await api.get<Domain[]>(`/apps/${encodeURIComponent(app)}/domains`)).filter((d) => d.kind === 'custom');
    const wanted = flags.domains ? flags.domains.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean) : custom.filter((d) => certCovers(e.ssl_cert.cert_domains, d.hostname)).map((d) => d.hostname);
    for (const hostname of wanted) {
      if (!custom.some((d) => d.hostname === hostname)) throw new CliError(`${hostname} is not a domain of ${app}: add it first (slipway domains:add ${hostname}).`);
      await ui.action(`Attaching ${e.name} to ${hostname}`, () => api.patch(`/apps/${encodeURIComponent(app)}/domains/${encodeURIComponent(hostname)}`, { sni_endpoint: e.name }));
    }
    ui.log('');
    ui.log('Certificate details:');
    ui.log(`Common Name(s): ${e.ssl_cert.cert_domains.join(', ')}`);
    ui.log(`Expires At:     ${utc(e.ssl_cert.expires_at)}`);
    ui.log(`Issuer:         ${e.ssl_cert.issuer}`);
    ui.log(`Starts At:      ${utc(e.ssl_cert.starts_at)}`);
    ui.log(`Subject:        ${e.ssl_cert.subject}`);
    ui.log(e.ssl_cert['ca_signed?'] ? 'SSL certificate is verified by a root authority.' : 'SSL certificate is self signed.');
    if (wanted.length === 0) ui.log(`No custom domain of ${app} is covered by it yet: slipway domains:add <host> --cert ${e.name}`);
  },
});
