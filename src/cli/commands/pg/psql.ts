// `slipway pg:psql [DATABASE]`: the local psql against the database's URL (as Heroku's does), with the
// prompt `<app>::<ATTACHMENT>=>`. The add-on network is reachable from the platform's own machine.

import { spawn } from 'node:child_process';
import { appFlags, defineCommand, flag } from '../../command.ts';
import { pickAttachment } from '../../addons.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'pg:psql',
  aliases: ['psql'],
  description: 'open a psql shell to the database\nWithout a database, the primary one (DATABASE_URL).',
  args: [{ name: 'database', description: 'config var or add-on name of the database' }],
  flags: {
    ...appFlags,
    command: flag.string({ char: 'c', helpValue: 'SQL', description: 'SQL command to run' }),
    file: flag.string({ char: 'f', helpValue: 'FILE', description: 'SQL file to run' }),
  },
  examples: ['slipway pg:psql', 'slipway pg:psql -c "select count(*) from users"', 'slipway pg:psql HEROKU_POSTGRESQL_RED'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const { attachment, addon, configVar } = await pickAttachment(api, app, 'heroku-postgresql', 'DATABASE', args.database);
    const vars = await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`);
    const url = vars[configVar];
    if (!url) throw new CliError(`${configVar} is not set on ${app}; attach the database again (addons:attach ${addon.name}).`);
    ui.stderr.write(`--> Connecting to ${addon.name}\n`);
    const prompt = `${app}::${attachment.name}%R%#`;
    const psqlArgs = ['--set', `PROMPT1=${prompt} `, '--set', `PROMPT2=${prompt} `, url];
    if (flags.command) psqlArgs.push('-c', flags.command);
    if (flags.file) psqlArgs.push('-f', flags.file);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('psql', psqlArgs, { stdio: 'inherit', env: { ...process.env, PGAPPNAME: 'psql interactive', PGSSLMODE: 'prefer' } });
      child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT'
        ? new CliError('The local psql command could not be located. Install the PostgreSQL client (apt-get install postgresql-client).')
        : err));
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new CliError(`psql exited with status ${code}`, code);
  },
});
