// `slipway addons:attach NAME -a APP [--as NAME]`: shares an existing add-on with an app (its URL in
// that app's config vars), in a new release of that app.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { newestVersion, type Attachment } from '../../addons.ts';
import { ApiError, CliError } from '../../errors.ts';
import { prompt } from '../../prompt.ts';

export default defineCommand({
  id: 'addons:attach',
  description: 'attach an existing add-on resource to an app',
  args: [{ name: 'addonName', description: 'unique identifier or name of the add-on', required: true }],
  flags: {
    ...appFlags,
    as: flag.string({ helpValue: 'NAME', description: 'name for add-on attachment' }),
    confirm: flag.string({ helpValue: 'APP', description: 'overwrite existing add-on attachment with same name' }),
  },
  examples: ['slipway addons:attach postgresql-curved-12345 -a other-app --as SHARED_DB'],
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const attach = (confirm?: string) => api.post<Attachment>('/addon-attachments', {
      addon: { name: args.addonName }, app: { name: app }, name: flags.as, confirm,
    });
    const label = `Attaching ${args.addonName}${flags.as ? ` as ${flags.as}` : ''} to ${app}`;
    let att: Attachment;
    try {
      att = await ui.action(label, () => attach(flags.confirm));
    } catch (err) {
      if (!(err instanceof ApiError && err.id === 'confirmation_required')) throw err;
      ui.warn(err.message);
      if (!process.stdin.isTTY) throw new CliError(`To proceed, re-run this command with --confirm ${app}`);
      const answer = await prompt(`\nTo proceed, type ${app} or re-run this command with --confirm ${app}\n\n> `, process.stdin, ui.stderr);
      if (answer.trim() !== app) throw new CliError(`Confirmation did not match ${app}. Aborted.`);
      att = await ui.action(label, () => attach(app));
    }
    await ui.action(`Setting ${att.name} config vars and restarting ${app}`, () => newestVersion(api, app), (v) => v);
  },
});
