// `slipway ps [TYPE...]`: an app's dynos grouped by command, one-off dynos first (GET /apps/A/dynos).

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { renderDynos } from '../../dynos-format.ts';
import { CliError } from '../../errors.ts';
import type { Dyno } from '../../types.ts';

export default defineCommand({
  id: 'ps',
  description: 'list dynos for an app',
  args: [{ name: 'type', description: 'only show dynos of these process types' }],
  variadic: true,
  flags: { ...appFlags, json: jsonFlag },
  examples: ['slipway ps', 'slipway ps web worker'],
  async run(ctx) {
    const { flags, argv: types, api, ui } = ctx;
    const app = await ctx.app();
    let dynos = await api.get<Dyno[]>(`/apps/${encodeURIComponent(app)}/dynos`);
    if (types.length > 0) {
      dynos = dynos.filter((d) => types.includes(d.type));
      for (const t of types) if (!dynos.some((d) => d.type === t)) throw new CliError(`No ${t} dynos on ${app}`);
    }
    dynos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (flags.json) return ui.json(dynos);
    ui.lines(renderDynos(app, dynos, { now: new Date(), palette: ui.c }));
  },
});
