// `slipway maintenance:off`: the router sends requests to the dynos again
// (PATCH /apps/A {maintenance: false}).

import { appFlags, defineCommand } from '../../command.ts';

export default defineCommand({
  id: 'maintenance:off',
  description: 'take the app out of maintenance mode',
  flags: { ...appFlags },
  examples: ['slipway maintenance:off -a demo'],
  async run(ctx) {
    const app = await ctx.app();
    await ctx.ui.action(`Disabling maintenance mode for ${app}`, () => ctx.api.patch(`/apps/${encodeURIComponent(app)}`, { maintenance: false }));
  },
});
