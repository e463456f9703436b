// `slipway drains:add URL`: forward the app's log stream to a syslog or HTTPS endpoint (POST /apps/A/log-drains).

import { appFlags, defineCommand } from '../../command.ts';
import type { LogDrain } from '../../types.ts';

export default defineCommand({
  id: 'drains:add',
  description:
    'adds a log drain to an app\n' +
    'syslog+tls://host:port and syslog://host:port get RFC 5424 over TCP (octet-counted); https://... gets\n' +
    'batched POSTs (application/logplex-1). At most 5 drains per app.',
  args: [{ name: 'url', description: 'URL of the log drain', required: true }],
  flags: { ...appFlags },
  examples: ['slipway drains:add syslog+tls://logs.example.com:6514', 'slipway drains:add https://user:pass@logs.example.com/drain'],
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const drain = await api.post<LogDrain>(`/apps/${encodeURIComponent(app)}/log-drains`, { url: args.url });
    ui.log(`Successfully added drain ${ui.c.cyan(drain.url)}`);
  },
});
