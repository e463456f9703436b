// `slipway pg:info [DATABASE]`: each Postgres database of the app, primary first, with the facts its
// server reports (plan, connections, version, data size against the plan's limit).

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import type { Addon, Attachment } from '../../addons.ts';
import { styledObject } from '../../ux.ts';

interface Info { info: { name: string; values: string[] }[] }

export default defineCommand({
  id: 'pg:info',
  aliases: ['pg'],
  description: 'show database information',
  args: [{ name: 'database', description: 'config var or add-on name of the database (all when left out)' }],
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const [addons, atts] = await Promise.all([
      api.get<Addon[]>(`/apps/${encodeURIComponent(app)}/addons`),
      api.get<Attachment[]>(`/apps/${encodeURIComponent(app)}/addon-attachments`),
    ]);
    let dbs = addons.filter((a) => a.addon_service.name === 'heroku-postgresql');
    if (args.database) {
      const ref = args.database.toUpperCase().replace(/_URL$/, '');
      dbs = dbs.filter((a) => a.name === args.database || atts.some((t) => t.addon.id === a.id && t.name === ref));
    }
    if (dbs.length === 0) return ui.log(`${app} has no heroku-postgresql databases.`);
    const varsOf = (a: Addon) => atts.filter((t) => t.addon.id === a.id).map((t) => `${t.name}_URL`).sort((x, y) => Number(y === 'DATABASE_URL') - Number(x === 'DATABASE_URL') || x.localeCompare(y));
    dbs.sort((a, b) => Number(varsOf(b).includes('DATABASE_URL')) - Number(varsOf(a).includes('DATABASE_URL')));
    const infos = await Promise.all(dbs.map((a) => api.get<Info>(`/addons/${encodeURIComponent(a.id)}/info`)));
    if (flags.json) return ui.json(infos);
    dbs.forEach((a, i) => {
      if (i > 0) ui.log('');
      ui.header(varsOf(a).join(', ') || a.name);
      ui.log('');
      const lines: [string, string][] = infos[i]!.info.map((x) => [x.name, x.values.join(', ')]);
      if (a.app.name !== app) lines.push(['Billing App', a.app.name]);
      ui.lines(styledObject(lines));
    });
  },
});
