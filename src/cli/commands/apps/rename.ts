// `slipway apps:rename NEWNAME`: PATCH /apps/{app} {name}, then re-points the local git remotes that
// pointed at the old name (the owner or a team admin renames).

import { appFlags, defineCommand } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { listRemotes, setRemoteUrl } from '../../git.ts';
import type { App } from '../../types.ts';

export default defineCommand({
  id: 'apps:rename',
  aliases: ['rename'],
  description: 'rename an app\nLocal git remotes pointing at the old name are updated to the new one.',
  args: [{ name: 'newname', description: 'the new name of the app', required: true }],
  flags: { ...appFlags },
  examples: ['slipway apps:rename new-name -a old-name'],
  async run(ctx) {
    const { args, api, ui, cwd } = ctx;
    if (!args.newname) throw new CliError('Give the new name, e.g. slipway apps:rename new-name');
    const old = await ctx.app();
    const app = await ui.action(`Renaming ${old} to ${args.newname}`, () => api.patch<App>(`/apps/${encodeURIComponent(old)}`, { name: args.newname }));
    ui.log(`${app.web_url ?? ''} | ${app.git_url ?? ''}`);
    for (const r of await listRemotes(cwd)) {
      if (!app.git_url || !new RegExp(`/${old}\\.git/?$`).test(r.url)) continue;
      await setRemoteUrl(cwd, r.name, r.url.replace(new RegExp(`/${old}\\.git(/?)$`), `/${app.name}.git$1`));
      ui.log(`Git remote ${r.name} updated`);
    }
  },
});
