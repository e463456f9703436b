// `slipway git:remote -a APP`: add (or re-point) a git remote at the app's git URL (GET /apps/A).

import { MISSING_APP } from '../../app.ts';
import { defineCommand, flag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { addRemote, inWorkTree, listRemotes, setRemoteUrl } from '../../git.ts';
import type { App } from '../../types.ts';

export default defineCommand({
  id: 'git:remote',
  description: 'add a git remote for an app\nSets the URL of the remote if it already exists.',
  flags: {
    app: flag.string({ char: 'a', helpValue: 'APP', description: 'the app to set the git remote to' }),
    remote: flag.string({ char: 'r', helpValue: 'REMOTE', default: 'slipway', description: 'the git remote to create' }),
  },
  examples: ['slipway git:remote -a demo', 'slipway git:remote -a demo -r staging'],
  async run({ flags, api, ui, cwd, env }) {
    const name = flags.app ?? env.SLIPWAY_APP;
    if (!name) throw new CliError(MISSING_APP);
    if (!(await inWorkTree(cwd))) throw new CliError('Not a git repository. Run git init first.');
    const app = await api.get<App>(`/apps/${encodeURIComponent(name)}`);
    if (!app.git_url) throw new CliError(`The platform returned no git_url for ${app.name}.`);
    const exists = (await listRemotes(cwd)).some((r) => r.name === flags.remote);
    if (exists) await setRemoteUrl(cwd, flags.remote, app.git_url);
    else await addRemote(cwd, flags.remote, app.git_url);
    ui.log(`set git remote ${flags.remote} to ${app.git_url}`);
  },
});
