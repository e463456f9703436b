// `slipway addons:destroy NAME...`: detaches the add-on everywhere (a release per attachment) and
// removes it with its data, after the app's name is confirmed.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { resolveAddon, type Addon } from '../../addons.ts';
import { confirmApp } from '../../confirm.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'addons:destroy',
  aliases: ['addons:remove'],
  description: 'permanently destroy an add-on resource\nIts data is deleted. Off a terminal --confirm APP is required.',
  args: [{ name: 'addonName', description: 'unique identifier or name of the add-on', required: true }],
  variadic: true,
  flags: {
    ...appFlags,
    confirm: flag.string({ char: 'c', helpValue: 'APP', description: 'the app name, to confirm without a prompt' }),
    force: flag.boolean({ char: 'f', description: 'allow destruction even if connected to other apps' }),
    wait: flag.boolean({ description: 'watch add-on destruction status and exit when complete' }),
  },
  examples: ['slipway addons:destroy postgresql-curved-12345 --confirm demo'],
  async run(ctx) {
    const { flags, argv, api, ui } = ctx;
    const app = flags.app ?? (await ctx.app().catch(() => undefined));
    const addons: Addon[] = [];
    for (const ref of argv) addons.push(await resolveAddon(api, ref, app));
    for (const addon of addons) {
      if (app && addon.app.name !== app) throw new CliError(`${addon.name} is on ${addon.app.name} not ${app}`);
      await confirmApp(ui, addon.app.name, flags.confirm, `destroy ${addon.name} and its data on ${addon.app.name}`);
      await ui.action(`Destroying ${addon.name} on ${addon.app.name}`, async () => {
        const r = await api.delete<Addon>(`/apps/${encodeURIComponent(addon.app.name)}/addons/${encodeURIComponent(addon.id)}`, {
          body: { force: flags.force }, headers: { 'Accept-Expansion': 'plan' },
        });
        if (r.state !== 'deprovisioned') throw new CliError(`The add-on was unable to be destroyed, with status ${r.state}.`);
      });
    }
  },
});
