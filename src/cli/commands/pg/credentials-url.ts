// `slipway pg:credentials:url [DATABASE]`: the default credential's connection string and URL.

import { appFlags, defineCommand } from '../../command.ts';
import { pickAttachment } from '../../addons.ts';
import { CliError } from '../../errors.ts';

export default defineCommand({
  id: 'pg:credentials:url',
  description: 'show information on a database credential',
  args: [{ name: 'database', description: 'config var or add-on name of the database' }],
  flags: { ...appFlags },
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const { addon, configVar } = await pickAttachment(api, app, 'heroku-postgresql', 'DATABASE', args.database);
    const url = (await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`))[configVar];
    if (!url) throw new CliError(`${configVar} is not set on ${app}; attach ${addon.name} again.`);
    const u = new URL(url);
    ui.log('Connection information for default credential.');
    ui.log('Connection info string:');
    ui.log(`  "dbname=${u.pathname.slice(1)} host=${u.hostname} port=${u.port || '5432'} user=${decodeURIComponent(u.username)} password=${decodeURIComponent(u.password)} sslmode=require"`);
    ui.log('Connection URL:');
    ui.log(`  ${url}`);
  },
});
