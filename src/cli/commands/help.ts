// `slipway help [COMMAND|TOPIC]`: the command list, a topic's commands, or one command's usage and flags.

import { defineCommand } from '../command.ts';
import { cliVersion, hostLabel } from '../config.ts';
import { CliError } from '../errors.ts';
import { commandHelp, overviewHelp, suggest, topicCommands, topicHelp } from '../help.ts';

export default defineCommand({
  id: 'help',
  description: 'display help for slipway',
  args: [{ name: 'command', description: 'command or topic to show help for (apps:create, ps)' }],
  flags: {},
  async run({ args, commands, ui, host }) {
    const word = args.command;
    if (word === undefined) return ui.log(overviewHelp(commands, cliVersion(), hostLabel(host)));
    const cmd = commands.find((c) => c.id === word || c.aliases.includes(word));
    if (cmd) return ui.log(commandHelp(cmd, commands));
    const inTopic = topicCommands(word, commands);
    if (inTopic.length > 0) return ui.log(topicHelp(word, inTopic));
    const guess = suggest(word, commands);
    throw new CliError(`${word} is not a slipway command.${guess ? `\nPerhaps you meant ${guess}?` : ''}`);
  },
});
