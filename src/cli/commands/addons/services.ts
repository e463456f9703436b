// `slipway addons:services` and `addons:plans SERVICE`: the catalogue.

import { defineCommand, jsonFlag } from '../../command.ts';
import { hourly, monthly } from '../../addons.ts';
import { table } from '../../ux.ts';

interface Service { name: string; human_name: string; state: string }
interface Plan { name: string; human_name: string; default: boolean; price: { cents: number } }

export const services = defineCommand({
  id: 'addons:services',
  description: 'list all available add-on services',
  flags: { json: jsonFlag },
  async run(ctx) {
    const list = await ctx.api.get<Service[]>('/addon-services');
    if (ctx.flags.json) return ctx.ui.json(list);
    ctx.ui.lines(table([['Slug', 'Name', 'State'], ...list.map((s) => [s.name, s.human_name, s.state])]));
    ctx.ui.log('');
    ctx.ui.log('See plans with slipway addons:plans SERVICE');
  },
});

export const plans = defineCommand({
  id: 'addons:plans',
  description: 'list all available plans for an add-on service',
  args: [{ name: 'service', description: 'unique identifier or name of the add-on service', required: true }],
  flags: { json: jsonFlag },
  async run(ctx) {
    const list = await ctx.api.get<Plan[]>(`/addon-services/${encodeURIComponent(ctx.args.service!)}/plans`);
    if (ctx.flags.json) return ctx.ui.json(list);
    const rows = list.map((p) => [p.default ? 'default' : '', p.name, p.human_name, hourly(p.price.cents), monthly(p.price.cents)]);
    ctx.ui.lines(table([['', 'Slug', 'Name', 'Price', 'Max Price'], ...rows]));
  },
});
