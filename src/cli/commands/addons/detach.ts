// `slipway addons:detach ATTACHMENT -a APP`: removes the attachment and its config vars in a new
// release; the add-on itself stays.

import { appFlags, defineCommand } from '../../command.ts';
import { newestVersion, type Attachment } from '../../addons.ts';

export default defineCommand({
  id: 'addons:detach',
  description: 'detach an existing add-on resource from an app',
  args: [{ name: 'attachment_name', description: 'attachment name (DATABASE) or id', required: true }],
  flags: { ...appFlags },
  examples: ['slipway addons:detach SHARED_DB -a other-app'],
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const att = await api.get<Attachment>(`/apps/${encodeURIComponent(app)}/addon-attachments/${encodeURIComponent(args.attachment_name!)}`);
    await ui.action(`Detaching ${att.name} to ${att.addon.name} from ${app}`, () => api.delete(`/addon-attachments/${att.id}`));
    await ui.action(`Unsetting ${att.name} config vars and restarting ${app}`, () => newestVersion(api, app), (v) => v);
  },
});
