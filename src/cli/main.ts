// The `slipway` CLI: parses a command line and runs the command against the API. The executable's
// entry (src/main.ts) hands it every word but the platform's own commands (`server`, `stack:*`).

import { ApiClient } from './api.ts';
import { inferApp } from './app.ts';
import { parseArgs } from './args.ts';
import type { Command, Context, FlagDefs } from './command.ts';
import { commands, findCommand } from './commands/index.ts';
import { apiBase, credentials, userAgent } from './config.ts';
import { CliError, renderError } from './errors.ts';
import { commandHelp, suggest } from './help.ts';
import { Ui } from './ux.ts';

function unknownCommand(word: string): CliError {
  const guess = suggest(word, commands);
  return new CliError(
    `${word} is not a slipway command.${guess ? `\nPerhaps you meant ${guess}?` : ''}\n` +
      'Run slipway help for a list of available commands.',
    127,
  );
}

async function runCommand(cmd: Command, argv: readonly string[], env: NodeJS.ProcessEnv, ui: Ui): Promise<void> {
  const parsed = parseArgs(argv, cmd);
  if (parsed.help) return ui.log(commandHelp(cmd, commands));
  const base = apiBase(env);
  const creds = credentials(env, base);
  const api = new ApiClient({
    base,
    key: creds?.key,
    keySource: creds?.source,
    userAgent: userAgent(),
    debug: env.SLIPWAY_DEBUG ? (line) => ui.stderr.write(`${line}\n`) : undefined,
  });
  const cwd = process.cwd();
  const ctx: Context<FlagDefs> = {
    flags: parsed.flags as Context<FlagDefs>['flags'],
    args: parsed.args,
    argv: parsed.argv,
    api,
    ui,
    host: base,
    env,
    cwd,
    commands,
    app: () =>
      inferApp({
        flagApp: parsed.flags.app as string | undefined,
        flagRemote: parsed.flags.remote as string | undefined,
        env,
        cwd,
        base,
      }),
  };
  await cmd.run(ctx);
}

/** Runs one invocation; resolves to the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ui = new Ui(process.stdout, process.stderr, env);
  let [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') [first, rest] = ['help', []];
  if (first === '--version' || first === '-v') first = 'version';
  try {
    const cmd = findCommand(first);
    if (!cmd) throw unknownCommand(first);
    await runCommand(cmd, rest, env, ui);
    return 0;
  } catch (err) {
    const { text, exitCode } = renderError(err, Boolean(env.SLIPWAY_DEBUG));
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
}
