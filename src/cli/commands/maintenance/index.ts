// `slipway maintenance`: whether maintenance mode is on (GET /apps/A → maintenance).

import { appFlags, defineCommand } from '../../command.ts';
import type { App } from '../../types.ts';

export default defineCommand({
  id: 'maintenance',
  description: 'display the current maintenance status of app',
  flags: { ...appFlags },
  examples: ['slipway maintenance -a demo'],
  async run(ctx) {
    const app = await ctx.app();
    const a = await ctx.api.get<App>(`/apps/${encodeURIComponent(app)}`);
    ctx.ui.log(a.maintenance ? 'on' : 'off');
  },
});
