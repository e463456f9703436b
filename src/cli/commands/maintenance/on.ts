// `slipway maintenance:on`: the router answers every request with the maintenance page (503, H80);
// dynos keep running (PATCH /apps/A {maintenance: true}).

import { appFlags, defineCommand } from '../../command.ts';

export default defineCommand({
  id: 'maintenance:on',
  description: 'put the app into maintenance mode',
  flags: { ...appFlags },
  examples: ['slipway maintenance:on -a demo'],
  async run(ctx) {
    const app = await ctx.app();
    await ctx.ui.action(`Enabling maintenance mode for ${app}`, () => ctx.api.patch(`/apps/${encodeURIComponent(app)}`, { maintenance: true }));
  },
});
