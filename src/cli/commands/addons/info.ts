// `slipway addons:info NAME`: plan, price, attachments, owner, creation time and state.

import { appFlags, defineCommand, jsonFlag } from '../../command.ts';
import { hourly, monthly, resolveAddon, stateWord, type Attachment } from '../../addons.ts';
import { styledObject } from '../../ux.ts';

export default defineCommand({
  id: 'addons:info',
  description: 'show detailed add-on resource and attachment information',
  args: [{ name: 'addon', description: 'unique identifier or name of the add-on', required: true }],
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = flags.app ?? (await ctx.app().catch(() => undefined));
    const addon = await resolveAddon(api, args.addon!, app);
    const atts = await api.get<Attachment[]>(`/addons/${encodeURIComponent(addon.id)}/addon-attachments`);
    if (flags.json) return ui.json({ ...addon, attachments: atts });
    const cents = addon.plan.price?.cents ?? 0;
    ui.header(addon.name);
    ui.lines(styledObject([
      ['Plan', addon.plan.name],
      ['Price', hourly(cents)],
      ['Max Price', monthly(cents)],
      ['Attachments', atts.map((a) => `${a.app.name}::${a.name}`).sort().join(', ')],
      ['Owning app', addon.app.name],
      ['Installed at', addon.created_at ? new Date(addon.created_at).toString() : ''],
      ['State', stateWord(addon.state)],
    ]));
  },
});
