// `slipway config:get KEY...`: one config var value per line (empty when unset).

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { shellQuote } from '../../config-vars.ts';

export default defineCommand({
  id: 'config:get',
  description: 'display a single config value for an app\nPrints an empty line for a var that is not set.',
  args: [{ name: 'key', description: 'the config var', required: true }],
  variadic: true,
  flags: {
    ...appFlags,
    shell: flag.boolean({ char: 's', description: 'output config var in shell format' }),
    json: jsonFlag,
  },
  examples: ['slipway config:get DATABASE_URL'],
  async run(ctx) {
    const { flags, argv: keys, api, ui } = ctx;
    const app = await ctx.app();
    const vars = await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`);
    if (flags.json) {
      const pairs = keys.map((key) => ({ key, value: vars[key] ?? null }));
      return ui.json(pairs.length === 1 ? pairs[0] : pairs);
    }
    for (const key of keys) {
      const value = vars[key] ?? '';
      ui.log(flags.shell ? `${key}=${shellQuote(value)}` : value);
    }
  },
});
