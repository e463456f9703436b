// `slipway features:enable|disable FEATURE` (also labs:enable|disable): PATCH the app's feature.

import { appFlags, defineCommand } from '../../command.ts';

function toggle(enabled: boolean) {
  const verb = enabled ? 'enable' : 'disable';
  return defineCommand({
    id: `features:${verb}`,
    aliases: [`labs:${verb}`],
    description: `${verb} an app feature (takes effect for dynos from their next start or sample)`,
    args: [{ name: 'feature', description: 'e.g. log-runtime-metrics', required: true }],
    flags: { ...appFlags },
    examples: [`slipway features:${verb} log-runtime-metrics`],
    async run(ctx) {
      const { args, api, ui } = ctx;
      const app = await ctx.app();
      const feature = args.feature!;
      await ui.action(`${enabled ? 'Enabling' : 'Disabling'} ${feature} for ${app}`, () =>
        api.patch(`/apps/${encodeURIComponent(app)}/features/${encodeURIComponent(feature)}`, { enabled }));
    },
  });
}

export const enable = toggle(true);
export const disable = toggle(false);
