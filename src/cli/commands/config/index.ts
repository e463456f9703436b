// `slipway config`: the app's config vars (GET /apps/A/config-vars).

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { configLines, shellLines } from '../../config-vars.ts';

export default defineCommand({
  id: 'config',
  aliases: ['config:list'],
  description: 'display the config vars for an app',
  flags: {
    ...appFlags,
    shell: flag.boolean({ char: 's', description: 'output config vars in shell format' }),
    json: jsonFlag,
  },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const vars = await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`);
    if (flags.json) return ui.json(vars);
    if (flags.shell) return ui.lines(shellLines(vars));
    ui.header(`${app} Config Vars`);
    ui.lines(configLines(vars, ui.c.green));
  },
});
