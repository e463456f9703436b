// `slipway config:unset KEY...`: PATCH the vars to null, then name the release the change made.

import { appFlags, defineCommand } from '../../command.ts';
import { newestRelease } from './set.ts';

export default defineCommand({
  id: 'config:unset',
  aliases: ['config:remove'],
  description: 'unset one or more config vars\nEach change makes a new release and restarts the dynos.',
  args: [{ name: 'key', description: 'the config var to remove', required: true }],
  variadic: true,
  flags: { ...appFlags },
  examples: ['slipway config:unset RAILS_ENV SECRET'],
  async run(ctx) {
    const { argv: keys, api, ui } = ctx;
    const app = await ctx.app();
    const vars = Object.fromEntries(keys.map((k) => [k, null]));
    await ui.action(
      `Unsetting ${keys.join(', ')} and restarting ${app}`,
      async () => {
        await api.patch(`/apps/${encodeURIComponent(app)}/config-vars`, vars);
        return newestRelease(api, app);
      },
      (release) => release,
    );
  },
});
