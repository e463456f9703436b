// `slipway ps:type [SIZE | TYPE=SIZE ...]` (also ps:resize): show or change the dyno size of process types.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { Formation } from '../../types.ts';
import { table } from '../../ux.ts';

export default defineCommand({
  id: 'ps:type',
  aliases: ['ps:resize', 'resize', 'dyno:type', 'dyno:resize'],
  description:
    'manage dyno sizes\n' +
    'With one SIZE, every process type gets it; with TYPE=SIZE pairs, those types. Sizes: eco, basic,\n' +
    'standard-1x (512 MB), standard-2x (1 GB), performance-m (2.5 GB), performance-l (14 GB).',
  args: [{ name: 'size', description: 'SIZE, or TYPE=SIZE' }],
  variadic: true,
  flags: { ...appFlags, json: jsonFlag },
  examples: ['slipway ps:type standard-2x', 'slipway ps:type web=standard-2x worker=basic', 'slipway ps:type'],
  async run(ctx) {
    const { flags, argv, api, ui } = ctx;
    const app = await ctx.app();
    const path = `/apps/${encodeURIComponent(app)}/formation`;
    let formation = await api.get<Formation[]>(path);
    if (argv.length > 0) {
      const updates = argv.flatMap((arg) => {
        const m = /^(?:([\w-]+)=)?([\w-]+)$/.exec(arg);
        if (!m) throw new CliError(`${JSON.stringify(arg)} is not SIZE or TYPE=SIZE (e.g. web=standard-2x).`);
        const [, type, size] = m;
        if (type) return [{ type, size: size! }];
        if (argv.length > 1) throw new CliError('Give one SIZE for every type, or TYPE=SIZE pairs, not both.');
        return formation.map((f) => ({ type: f.type, size: size! }));
      });
      if (updates.length === 0) throw new CliError(`No process types on ${app}.\nUpload a Procfile to add process types.`);
      await ui.action(`Scaling dynos on ${app}`, () => api.patch<Formation[]>(path, { updates }));
      formation = await api.get<Formation[]>(path);
    }
    if (flags.json) return ui.json(formation);
    const rows = [...formation].sort((a, b) => a.type.localeCompare(b.type)).map((f) => [f.type, f.size ?? '', String(f.quantity)]);
    ui.log('=== Process Types');
    ui.log('');
    for (const line of table([['Type', 'Size', 'Qty'], ...rows])) ui.log(line);
    const totals = new Map<string, number>();
    for (const f of formation) if (f.quantity > 0) totals.set(f.size ?? '?', (totals.get(f.size ?? '?') ?? 0) + f.quantity);
    ui.log('');
    ui.log('=== Dyno Totals');
    ui.log('');
    for (const line of table([...totals].map(([size, n]) => [size, String(n)]))) ui.log(line);
  },
});
