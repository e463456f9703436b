// `slipway features` (also labs): the app's features and whether each is on.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { table } from '../../ux.ts';

export interface Feature { name: string; description: string; enabled: boolean }

export default defineCommand({
  id: 'features',
  aliases: ['labs'],
  description: "list the app's features (log-runtime-metrics, runtime-dyno-metadata)",
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const features = await api.get<Feature[]>(`/apps/${encodeURIComponent(app)}/features`);
    if (flags.json) return ui.json(features);
    ui.log(`=== App Features ${app}`);
    for (const line of table(features.map((f) => [f.enabled ? '[+]' : '[ ]', f.name, f.description]))) ui.log(line);
  },
});
