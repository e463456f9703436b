// `slipway builds:cache:purge`: empties the app's build cache (DELETE /apps/A/build-cache); the next
// build starts from scratch.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { confirmApp } from '../../confirm.ts';

export default defineCommand({
  id: 'builds:cache:purge',
  description: "purge the build cache for the specified app\nThe next build downloads and compiles everything again.",
  flags: {
    ...appFlags,
    confirm: flag.string({ char: 'c', helpValue: 'APP', description: 'the app name, to confirm without a prompt' }),
  },
  examples: ['slipway builds:cache:purge -a demo --confirm demo'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    await api.get(`/apps/${encodeURIComponent(app)}`);
    await confirmApp(ui, app, flags.confirm, `delete the build cache of ${app}`);
    await ui.action(
      `Purging build cache for ${app}`,
      () => api.delete<{ freed_bytes?: number }>(`/apps/${encodeURIComponent(app)}/build-cache`),
      (r) => (typeof r?.freed_bytes === 'number' ? `${(r.freed_bytes / 1024 / 1024).toFixed(1)}M freed` : undefined),
    );
  },
});
