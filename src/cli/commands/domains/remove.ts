// `slipway domains:remove www.example.com` (DELETE /apps/A/domains/H): the router stops answering it.

import { appFlags, defineCommand } from '../../command.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'domains:remove',
  description: 'remove a domain from an app',
  args: [{ name: 'hostname', description: 'the domain to remove', required: true }],
  flags: { ...appFlags },
  examples: ['slipway domains:remove www.example.com -a demo'],
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    if (!args.hostname) throw new CliError('Give the domain to remove, e.g. slipway domains:remove www.example.com');
    await ui.action(`Removing ${args.hostname} from ${app}`, () => api.delete(`/apps/${encodeURIComponent(app)}/domains/${encodeURIComponent(args.hostname!)}`));
  },
});
