// `slipway apps`: the apps you own (GET /apps), then apps you collaborate on, by name; with --team, a
// team's apps (GET /teams/{team}/apps).

import { defineCommand, flag, jsonFlag } from '../../command.ts';
import type { Account, App } from '../../types.ts';
import { table } from '../../ux.ts';

export default defineCommand({
  id: 'apps',
  aliases: ['apps:list', 'list'],
  description: 'list your apps',
  flags: { team: flag.string({ char: 't', helpValue: 'TEAM', description: "list the team's apps" }), json: jsonFlag },
  async run({ flags, api, ui }) {
    const byName = (a: App, b: App) => a.name.localeCompare(b.name);
    if (flags.team) {
      const teamApps = (await api.get<App[]>(`/teams/${encodeURIComponent(flags.team)}/apps`)).sort(byName);
      if (flags.json) return ui.json(teamApps);
      if (teamApps.length === 0) return ui.log(`There are no apps in team ${flags.team}.`);
      ui.header(`Apps in team ${flags.team}`);
      for (const a of teamApps) ui.log(a.name);
      return;
    }
    const [apps, account] = await Promise.all([api.get<App[]>('/apps'), api.get<Account>('/account')]);
    if (flags.json) return ui.json([...apps].sort(byName));
    if (apps.length === 0) return ui.log('You have no apps.');
    const mine = apps.filter((a) => !a.owner?.email || a.owner.email === account.email).sort(byName);
    const theirs = apps.filter((a) => !mine.includes(a)).sort(byName);
    if (mine.length > 0) {
      ui.header(`${account.email} Apps`);
      for (const a of mine) ui.log(a.name);
    }
    if (theirs.length > 0) {
      if (mine.length > 0) ui.log();
      ui.header('Collaborated Apps');
      ui.lines(table(theirs.map((a) => [a.name, a.owner?.email ?? ''])));
    }
  },
});
