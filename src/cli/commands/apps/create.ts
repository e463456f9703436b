// `slipway apps:create [NAME]`: POST /apps, optionally set a buildpack, and add a git remote for it.

import { defineCommand, flag, jsonFlag } from '../../command.ts';
import { putBuildpacks } from '../../buildpacks.ts';
import { addRemote, inWorkTree, listRemotes } from '../../git.ts';
import type { App } from '../../types.ts';

export default defineCommand({
  id: 'apps:create',
  aliases: ['create'],
  description:
    'create a new app\n' +
    'Without NAME the platform picks one. Inside a git work tree a remote (default "slipway") is added\n' +
    'pointing at the app, unless one of that name exists or --no-remote is given.',
  args: [{ name: 'name', description: 'name of app to create' }],
  flags: {
    remote: flag.string({ char: 'r', helpValue: 'REMOTE', default: 'slipway', description: 'the git remote to create' }),
    'no-remote': flag.boolean({ description: 'do not create a git remote' }),
    buildpack: flag.string({ char: 'b', helpValue: 'BUILDPACK', description: 'buildpack URL or name to use for this app' }),
    team: flag.string({ char: 't', helpValue: 'TEAM', description: 'create the app in this team' }),
    json: jsonFlag,
  },
  examples: ['slipway apps:create', 'slipway apps:create demo --buildpack heroku/nodejs', 'slipway apps:create demo --team my-team'],
  async run({ flags, args, api, ui, cwd }) {
    const name = args.name;
    const app = await ui.action(
      name ? `Creating ${name}` : 'Creating app',
      () => (flags.team
        ? api.post<App>('/teams/apps', { ...(name ? { name } : {}), team: flags.team })
        : api.post<App>('/apps', name ? { name } : {})),
      (a) => (name ? undefined : a.name),
    );
    const buildpack = flags.buildpack;
    if (buildpack) {
      await ui.action(`Setting buildpack to ${buildpack}`, () => putBuildpacks(api, app.name, [buildpack]));
    }
    if (!flags['no-remote'] && app.git_url && (await inWorkTree(cwd))) {
      const remotes = await listRemotes(cwd);
      if (!remotes.some((r) => r.name === flags.remote)) await addRemote(cwd, flags.remote, app.git_url);
    }
    if (flags.json) ui.json(app);
    else ui.log(`${app.web_url ?? ''} | ${app.git_url ?? ''}`);
  },
});
