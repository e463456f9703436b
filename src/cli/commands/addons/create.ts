// `slipway addons:create SERVICE[:PLAN]`: POST /apps/A/addons; the add-on is attached to the app (its
// URL in a config var) in a new release, and the dynos restart.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { priceText, type Addon } from '../../addons.ts';
import { ApiError, CliError } from '../../errors.ts';
import { prompt } from '../../prompt.ts';

export default defineCommand({
  id: 'addons:create',
  aliases: ['addons:add'],
  description: 'create a new add-on resource\nSlipway provides heroku-postgresql, heroku-redis and redistogo (see addons:services).',
  args: [{ name: 'service:plan', description: 'unique identifier or unique name of the add-on service plan', required: true }],
  variadic: true,
  flags: {
    ...appFlags,
    as: flag.string({ helpValue: 'NAME', description: 'name for the initial add-on attachment' }),
    name: flag.string({ helpValue: 'NAME', description: 'name for the add-on resource' }),
    confirm: flag.string({ helpValue: 'APP', description: 'overwrite existing config vars or existing add-on attachments' }),
    wait: flag.boolean({ description: 'watch add-on creation status and exit when complete' }),
    json: jsonFlag,
  },
  examples: ['slipway addons:create heroku-postgresql', 'slipway addons:create heroku-redis:premium-0 --as CACHE', 'slipway addons:add redistogo:nano'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const spec = args['service:plan']!;
    const create = (confirm?: string) => api.post<Addon>(`/apps/${encodeURIComponent(app)}/addons`, {
      plan: { name: spec }, attachment: flags.as ? { name: flags.as } : {}, name: flags.name, confirm,
    }, { headers: { 'Accept-Expansion': 'plan', 'X-Heroku-Legacy-Provider-Messages': 'true' } });
    // Heroku's line ends in the price where other actions say `done`.
    const creating = async (confirm?: string) => {
      ui.stderr.write(`Creating ${spec} on ${app}... `);
      try {
        const a = await create(confirm);
        ui.stderr.write(`${priceText(a.plan.price?.cents ?? 0)}\n`);
        return a;
      } catch (err) {
        ui.stderr.write(`${ui.ce.red('!')}\n`);
        throw err;
      }
    };
    let addon: Addon;
    try {
      addon = await creating(flags.confirm);
    } catch (err) {
      if (!(err instanceof ApiError && err.id === 'confirmation_required')) throw err;
      ui.warn(err.message);
      if (!process.stdin.isTTY) throw new CliError(`To proceed, re-run this command with --confirm ${app}`);
      const answer = await prompt(`\nTo proceed, type ${app} or re-run this command with --confirm ${app}\n\n> `, process.stdin, ui.stderr);
      if (answer.trim() !== app) throw new CliError(`Confirmation did not match ${app}. Aborted.`);
      addon = await creating(app);
    }
    if (flags.json) return ui.json(addon);
    if (addon.provision_message) ui.log(addon.provision_message);
    const vars = addon.config_vars ?? [];
    ui.log(vars.length > 0 ? `Created ${addon.name} as ${vars.join(', ')}` : `Created ${addon.name}`);
    ui.log(`Run slipway addons:info ${addon.name} to see its details.`);
  },
});
