// `slipway version`: the CLI's version, platform and Node version.

import { defineCommand } from '../command.ts';
import { cliVersion } from '../config.ts';

export default defineCommand({
  id: 'version',
  description: 'show the CLI version',
  flags: {},
  async run({ ui }) {
    ui.log(`slipway-cli/${cliVersion()} ${process.platform}-${process.arch} node-${process.version}`);
  },
});
