// `slipway certs:remove --name NAME`: deletes an SNI endpoint; its domains are served with the
// router's default certificate again.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { SniEndpoint } from './index.ts';

export default defineCommand({
  id: 'certs:remove',
  description: 'remove an SSL certificate from an app',
  flags: { ...appFlags, name: flag.string({ description: 'the certificate (SNI endpoint) name; optional when the app has one' }) },
  examples: ['slipway certs:remove --name tokyo-12345 -a demo'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    let name = flags.name;
    if (!name) {
      const all = await api.get<SniEndpoint[]>(`/apps/${encodeURIComponent(app)}/sni-endpoints`);
      if (all.length !== 1) throw new CliError(all.length === 0 ? `${app} has no SSL certificates.` : `${app} has several certificates: choose one with --name (${all.map((e) => e.name).join(', ')}).`);
      name = all[0]!.name;
    }
    await ui.action(`Removing SSL certificate ${name} from ${app}`, () => api.delete(`/apps/${encodeURIComponent(app)}/sni-endpoints/${encodeURIComponent(name!)}`));
  },
});
