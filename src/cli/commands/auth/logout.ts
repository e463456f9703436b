// `slipway logout`: removes the saved API key (the ~/.netrc entries `login` wrote) for this platform.

import { defineCommand } from '../../command.ts';
import { netrcMachines } from '../../config.ts';
import { netrcPath, readNetrc, removeMachines, writeNetrc } from '../../netrc.ts';

export default defineCommand({
  id: 'logout',
  aliases: ['auth:logout'],
  description: 'clear the saved API key for this platform',
  flags: {},
  async run({ ui, host, env }) {
    await ui.action('Logging out', async () => {
      const file = netrcPath(env);
      const before = readNetrc(file);
      const after = removeMachines(before, netrcMachines(host));
      if (after !== before) writeNetrc(file, after);
    });
    if (env.SLIPWAY_API_KEY) ui.warn('SLIPWAY_API_KEY is still set in your environment and will keep being used.');
  },
});
