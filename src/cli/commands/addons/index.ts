// `slipway addons`: the app's add-ons with their attachments, plan, price and state (Heroku's table);
// `--all` lists every add-on on the platform.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { hourly, monthly, shortPlan, stateWord, type Addon, type Attachment } from '../../addons.ts';
import { table } from '../../ux.ts';

export default defineCommand({
  id: 'addons',
  aliases: ['addons:list'],
  description: 'list your add-ons and attachments',
  flags: { ...appFlags, all: flag.boolean({ char: 'A', description: 'show add-ons and attachments for all accessible apps' }), json: jsonFlag },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    if (flags.all) {
      const all = await api.get<Addon[]>('/addons');
      if (flags.json) return ui.json(all);
      if (all.length === 0) return ui.log('No add-ons.');
      const rows = all.map((a) => [a.app.name, `${a.addon_service.name} (${a.name})`, shortPlan(a.plan.name), hourly(a.plan.price?.cents ?? 0), monthly(a.plan.price?.cents ?? 0), stateWord(a.state)]);
      return ui.lines(table([['Owning App', 'Add-on', 'Plan', 'Price', 'Max Price', 'State'], ...rows]));
    }
    const app = await ctx.app();
    const [addons, atts] = await Promise.all([
      api.get<Addon[]>(`/apps/${encodeURIComponent(app)}/addons`),
      api.get<Attachment[]>('/addon-attachments'),
    ]);
    if (flags.json) return ui.json(addons);
    if (addons.length === 0) return ui.log(`No add-ons for app ${app}.`);
    // Owned add-ons first, then by plan and name, as the heroku CLI sorts them.
    const sorted = [...addons].sort((a, b) => Number(a.app.name !== app) - Number(b.app.name !== app) || a.plan.name.localeCompare(b.plan.name) || a.name.localeCompare(b.name));
    const rows: string[][] = [['Add-on', 'Plan', 'Price', 'Max Price', 'State']];
    for (const a of sorted) {
      const own = a.app.name === app;
      const price = own ? hourly(a.plan.price?.cents ?? 0) : `(billed to ${a.app.name} app)`;
      rows.push([`${a.addon_service.name} (${a.name})`, shortPlan(a.plan.name), price, own ? monthly(a.plan.price?.cents ?? 0) : price, stateWord(a.state)]);
      const mine = atts.filter((t) => t.addon.id === a.id && (own || t.app.name === app));
      mine.forEach((t, i) => rows.push([` ${i === mine.length - 1 ? '└─' : '├─'} as ${t.name}${t.app.name === app ? '' : ` on ${t.app.name} app`}`, '', '', '', '']));
    }
    ui.lines(table(rows));
    ui.log('');
    ui.log(`The table above shows add-ons and the attachments to the current app (${app}) or other apps.`);
  },
});
