// `slipway addons:upgrade NAME PLAN`: moves an add-on to another plan of its service, keeping its data.

import { appFlags, defineCommand } from '../../command.ts';
import { priceText, resolveAddon, shortPlan, type Addon } from '../../addons.ts';

export default defineCommand({
  id: 'addons:upgrade',
  aliases: ['addons:downgrade'],
  description: "change add-on plan\nThe data is kept: Postgres moving between shared and dedicated plans is copied with pg_dump and pg_restore.",
  args: [
    { name: 'addon', description: 'unique identifier or name of the add-on', required: true },
    { name: 'plan', description: 'plan name (essential-1 or heroku-postgresql:essential-1)', required: true },
  ],
  flags: { ...appFlags },
  examples: ['slipway addons:upgrade postgresql-curved-12345 essential-1'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = flags.app ?? (await ctx.app().catch(() => undefined));
    const addon = await resolveAddon(api, args.addon!, app);
    const plan = args.plan!.includes(':') ? args.plan! : `${addon.addon_service.name}:${args.plan}`;
    const updated = await ui.action(
      `Changing ${addon.name} on ${addon.app.name} from ${shortPlan(addon.plan.name)} to ${plan}`,
      () => api.patch<Addon>(`/apps/${encodeURIComponent(addon.app.name)}/addons/${encodeURIComponent(addon.id)}`, { plan: { name: plan } }, {
        headers: { 'Accept-Expansion': 'plan', 'X-Heroku-Legacy-Provider-Messages': 'true' },
      }),
      (a) => priceText(a.plan.price?.cents ?? 0),
    );
    if (updated.provision_message) ui.log(updated.provision_message);
  },
});
