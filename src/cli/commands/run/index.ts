// `slipway run`: attached one-off dynos are not available yet; this says so and points at run:detached.

import { appFlags, defineCommand } from '../../command.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'run',
  description: 'run a one-off process attached to your terminal (not available yet: use run:detached)',
  args: [{ name: 'command', description: 'the command to run' }],
  passthrough: true,
  flags: { ...appFlags },
  async run() {
    throw new CliError(
      'slipway run (attached to your terminal) is not available yet.\n' +
        'Use slipway run:detached COMMAND, then slipway logs --dyno run.N to see its output (or run:detached --tail).',
    );
  },
});
