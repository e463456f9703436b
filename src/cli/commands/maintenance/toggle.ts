// `slipway maintenance:on|off` (PATCH /apps/A {maintenance}): on, the router answers every request with
// the maintenance page (503, H80) while the dynos keep running; off, requests reach the dynos again.

import { appFlags, defineCommand } from '../../command.ts';

function toggle(on: boolean) {
  return defineCommand({
    id: `maintenance:${on ? 'on' : 'off'}`,
    description: on ? 'put the app into maintenance mode' : 'take the app out of maintenance mode',
    flags: { ...appFlags },
    examples: [`slipway maintenance:${on ? 'on' : 'off'} -a demo`],
    async run(ctx) {
      const app = await ctx.app();
      await ctx.ui.action(`${on ? 'Enabling' : 'Disabling'} maintenance mode for ${app}`, () =>
        ctx.api.patch(`/apps/${encodeURIComponent(app)}`, { maintenance: on }));
    },
  });
}

export const on = toggle(true);
export const off = toggle(false);
