// `slipway drains:remove URL|TOKEN`: stop forwarding to a drain (DELETE /apps/A/log-drains/{url or token}).

import { appFlags, defineCommand } from '../../command.ts';
import type { LogDrain } from '../../types.ts';

export default defineCommand({
  id: 'drains:remove',
  description: 'removes a log drain from an app',
  args: [{ name: 'url', description: 'URL or token (d.…) of the log drain', required: true }],
  flags: { ...appFlags },
  examples: ['slipway drains:remove syslog+tls://logs.example.com:6514'],
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const drain = await api.delete<LogDrain>(`/apps/${encodeURIComponent(app)}/log-drains/${encodeURIComponent(args.url!)}`);
    ui.log(`Successfully removed drain ${ui.c.cyan(drain.url)}`);
  },
});
