// `slipway ps:scale [TYPE=N[:SIZE]|TYPE+N|TYPE-N ...]`: show the formation, or PATCH it.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { formatFormation, parseScaleArgs, scaleSummary } from '../../formation.ts';
import type { Formation } from '../../types.ts';

export default defineCommand({
  id: 'ps:scale',
  aliases: ['scale', 'dyno:scale'],
  description:
    'scale dyno quantity up or down\n' +
    'Appending a size (eg. web=2:Standard-2X) scales and resizes at once. Without arguments, prints the\n' +
    "app's formation in a form ps:scale accepts back.",
  args: [{ name: 'change', description: 'TYPE=N[:SIZE], TYPE+N or TYPE-N' }],
  variadic: true,
  flags: { ...appFlags, json: jsonFlag },
  examples: ['slipway ps:scale web=2 worker+1', 'slipway ps:scale web=1:Standard-2X', 'slipway ps:scale'],
  async run(ctx) {
    const { flags, argv, api, ui } = ctx;
    const updates = parseScaleArgs(argv);
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}/formation`;
    if (updates.length === 0) {
      const formation = await api.get<Formation[]>(path);
      if (flags.json) return ui.json(formation);
      if (formation.length === 0) {
        throw new CliError(`No process types on ${app}.\nUpload a Procfile to add process types.`);
      }
      return ui.log(formatFormation(formation));
    }
    const formation = await ui.action(
      'Scaling dynos',
      () => api.patch<Formation[]>(path, { updates }),
      (f) => scaleSummary(f, updates),
    );
    if (flags.json) ui.json(formation);
  },
});
