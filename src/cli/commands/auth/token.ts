// `slipway auth:token`: prints the API key in use (SLIPWAY_API_KEY or the one saved in ~/.netrc).

import { defineCommand } from '../../command.ts';
import { credentials } from '../../config.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'auth:token',
  description: 'display the API key in use\nUseful in scripts: curl -H "Authorization: Bearer $(slipway auth:token)" ...',
  flags: {},
  async run({ ui, host, env }) {
    const creds = credentials(env, host);
    if (!creds) throw new CliError('not logged in', 100);
    ui.log(creds.key);
  },
});
