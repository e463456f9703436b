// `slipway logout`: revokes the token `login` saved (DELETE /oauth/sessions/~, as `heroku logout` does) and
// removes it from ~/.netrc for this platform. A key that is no token (an account's own key) stays valid.

import { defineCommand } from '../../command.ts';
import { netrcMachines } from '../../config.ts';
import { ApiError, CliError } from '../../errors.ts';
import { findMachine, netrcPath, readNetrc, removeMachines, writeNetrc } from '../../netrc.ts';

export default defineCommand({
  id: 'logout',
  aliases: ['auth:logout'],
  description: 'revoke the saved token and clear it for this platform',
  flags: {},
  async run({ ui, host, env, api }) {
    await ui.action('Logging out', async () => {
      const file = netrcPath(env);
      const before = readNetrc(file);
      const saved = findMachine(before, host.host)?.password;
      // Already revoked (401) or an account's own key (404): nothing to end; the entry goes either way.
      if (saved) {
        await api.delete('/oauth/sessions/~', { key: saved }).catch((err: unknown) => {
          const gone = (err instanceof ApiError && err.status === 404) || (err instanceof CliError && / is not valid /.test(err.message));
          if (!gone) ui.warn(`Could not revoke the saved token (${err instanceof Error ? err.message : String(err)}); it still works until revoked with authorizations:revoke.`);
        });
      }
      const after = removeMachines(before, netrcMachines(host));
      if (after !== before) writeNetrc(file, after);
    });
    if (env.SLIPWAY_API_KEY) ui.warn('SLIPWAY_API_KEY is still set in your environment and will keep being used.');
  },
});
