// `slipway builds [-n N]`: the app's newest builds (GET /apps/A/builds, newest first), as the heroku builds plugin lists them.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { UsageError } from '../../errors.ts';
import { ago } from '../../time.ts';
import type { Build } from '../../types.ts';
import { table } from '../../ux.ts';

export default defineCommand({
  id: 'builds',
  description: 'list builds\nThe newest first; `builds:output ID` prints what one printed.',
  flags: { ...appFlags, json: jsonFlag, num: flag.integer({ char: 'n', helpValue: 'N', default: 15, description: 'number of builds to show' }) },
  examples: ['slipway builds', 'slipway builds -n 3 --json'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    if (flags.num < 1 || flags.num > 1000) throw new UsageError('--num must be from 1 to 1000');
    const app = await ctx.app();
    const builds = await api.get<Build[]>(`/apps/${encodeURIComponent(app)}/builds`, {
      headers: { Range: `created_at ..; max=${flags.num}, order=desc` },
      partial: true,
    });
    if (flags.json) return ui.json(builds);
    ui.header(`${app} Builds`);
    if (builds.length === 0) return ui.log(`${app} has no builds yet: push code with git push.`);
    const now = new Date();
    const paint = (s: string) => (s === 'failed' ? ui.c.red : s === 'pending' ? ui.c.yellow : ui.c.green);
    ui.lines(table([
      ['ID', 'Status', 'User', 'Source Version', 'Created At'].map((text) => ({ text, paint: ui.c.bold })),
      ...builds.map((b) => [
        b.id, { text: b.status, paint: paint(b.status) }, b.user?.email ?? '', b.source_blob?.version?.slice(0, 8) ?? '',
        b.created_at ? ago(new Date(b.created_at), now).replace(/^\(~ (.*)\)$/, '$1') : '',
      ]),
    ]));
  },
});
