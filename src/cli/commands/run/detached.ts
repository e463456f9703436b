// `slipway run:detached CMD...`: start a one-off dyno in the background (POST /apps/A/dynos, attach:false).

import { appFlags, defineCommand, flag } from '../../command.ts';
import { UsageError } from '../../errors.ts';
import { streamLogs } from '../../logs.ts';
import type { Dyno } from '../../types.ts';

/** One argument is the command as typed (`"ls -la"`); several are joined, quoting those with spaces or quotes. */
export function buildCommand(args: readonly string[]): string {
  if (args.length === 1) return args[0]!;
  return args.map((a) => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}

/** `-e "K=V;K2=V2"` → `{K: "V", K2: "V2"}`. */
export function parseEnv(spec: string | undefined): Record<string, string> | undefined {
  if (!spec) return undefined;
  const env: Record<string, string> = {};
  for (const pair of spec.split(';')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`Invalid --env entry: ${pair} (expected KEY=VALUE)`);
    env[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return env;
}

/** Flags `run` and `run:detached` share. */
export const oneOffFlags = {
  ...appFlags,
  env: flag.string({ char: 'e', helpValue: 'K=V;K2=V2', description: "environment variables to set (use ';' to split multiple vars)" }),
  size: flag.string({ char: 's', helpValue: 'SIZE', description: 'dyno size' }),
  type: flag.string({ helpValue: 'TYPE', description: 'process type to name the dyno after (TYPE.N instead of run.N)' }),
};

export default defineCommand({
  id: 'run:detached',
  description:
    'run a one-off process in the background\n' +
    "This command's flags are recognised anywhere; put the command after `--` when its own flags would\n" +
    'collide with them (slipway run:detached -a demo -- ls -a).',
  args: [{ name: 'command', description: 'the command to run', required: true }],
  passthrough: true,
  flags: {
    ...oneOffFlags,
    tail: flag.boolean({ char: 't', description: 'continually stream the dyno\'s logs' }),
  },
  examples: ['slipway run:detached -a demo node scripts/migrate.js', 'slipway run:detached -a demo -- ls -la'],
  async run(ctx) {
    const { flags, argv, api, ui } = ctx;
    const app = await ctx.app();
    const command = buildCommand(argv);
    const body: Record<string, unknown> = { command, attach: false };
    const env = parseEnv(flags.env);
    if (env) body.env = env;
    if (flags.size) body.size = flags.size;
    if (flags.type) body.type = flags.type;
    const dyno = await ui.action(
      `Running ${command} on ${app}`,
      () => api.post<Dyno>(`/apps/${encodeURIComponent(app)}/dynos`, body),
      (d) => d.name,
    );
    if (flags.tail) {
      await streamLogs({ api, app, params: { tail: true, dyno: dyno.name }, out: ui.stdout, palette: ui.color ? ui.c : undefined });
    } else {
      ui.log(`Run slipway logs --app ${app} --dyno ${dyno.name} to view the output.`);
    }
  },
});
