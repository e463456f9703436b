// The `slipway` entry point: `server` goes to the platform; everything else is a CLI command run here.

import { ApiClient } from './api.ts';
import { inferApp } from './app.ts';
import { parseArgs } from './args.ts';
import type { Command, Context, FlagDefs } from './command.ts';
import { commands, findCommand } from './commands/index.ts';
import { apiBase, credentials, userAgent } from './config.ts';
import { CliError, renderError } from './errors.ts';
import { commandHelp, suggest } from './help.ts';
import { Ui } from './ux.ts';

/**
 * `slipway server` is the platform's composition root (src/platform/, not the CLI's): imported only for that
 * command, so every other command starts without loading the platform.
 */
async function runServer(argv: string[]): Promise<void> {
  const { runServer: run } = await import('../platform/server.ts');
  await run(argv);
}

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
    if (first === 'server') {
      await runServer(rest);
      return 0;
    }
    if (first === 'stack:make' || first === 'stack:prune') {
      // Like `server`, platform commands on this machine: make the stack (the install step runs it), or
      // remove stack versions nothing uses any more.
      const { runStackMake, runStackPrune } = await import('../platform/stack-command.ts');
      return await (first === 'stack:make' ? runStackMake(rest) : runStackPrune(rest));
    }
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

// A closed pipe (`slipway logs | head`) ends the command quietly, as for any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

// Set, not process.exit(): pending output flushes, and `server` keeps running on its own handles.
process.exitCode = await main(process.argv.slice(2));
