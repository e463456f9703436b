// `slipway drains`: the app's log drains, `URL (token)` each, as the heroku CLI prints them (GET /apps/A/log-drains).

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import type { LogDrain } from '../../types.ts';

export default defineCommand({
  id: 'drains',
  description: 'display the log drains of an app\nEvery line of the app\'s log stream is forwarded to each of its drains.',
  flags: { ...appFlags, json: jsonFlag },
  examples: ['slipway drains', 'slipway drains --json'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const drains = await api.get<LogDrain[]>(`/apps/${encodeURIComponent(app)}/log-drains`);
    if (flags.json) return ui.json(drains);
    if (drains.length === 0) return ui.log(`${app} has no drains.`);
    ui.header('Drains');
    for (const d of drains) ui.log(`${d.url} (${ui.c.green(d.token)})`);
  },
});
