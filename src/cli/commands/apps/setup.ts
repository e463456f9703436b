// `slipway apps:setup URL [NAME]`: an App Setup (POST /app-setups) from a source tarball URL and its
// app.json: the app, its add-ons, config vars, build, release and postdeploy; waits and says how it went.

import { defineCommand, flag, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';

interface AppSetup {
  id: string; status: string; failure_message: string | null; app: { id: string; name: string };
  build: { id: string; status: string; output_stream_url: string | null } | null; manifest_errors: string[];
  postdeploy: { output: string; exit_code: number } | null; resolved_success_url: string | null;
}

export default defineCommand({
  id: 'apps:setup',
  description:
    'create an app from a source tarball and its app.json (an App Setup)\n' +
    'Provisions the add-ons app.json lists, sets its env (generated secrets included), builds and releases\n' +
    'the source, runs scripts.postdeploy and shows its output. A failed setup leaves no app behind.',
  args: [{ name: 'url', description: 'http(s) URL of a .tar.gz of the app source', required: true }, { name: 'name', description: 'name of the app to create' }],
  flags: {
    env: flag.string({ char: 'e', helpValue: 'KEY=VALUE,...', description: "config vars overriding (or completing) app.json's env" }),
    version: flag.string({ helpValue: 'VERSION', description: 'the source version (names the release)' }),
    json: jsonFlag,
  },
  examples: ['slipway apps:setup https://example.com/app.tgz demo', 'slipway apps:setup https://example.com/app.tgz -e API_KEY=abc'],
  async run({ args, flags, api, ui }) {
    const env: Record<string, string> = {};
    for (const pair of (flags.env ?? '').split(',').filter(Boolean)) {
      const i = pair.indexOf('=');
      if (i <= 0) throw new CliError(`--env takes KEY=VALUE pairs separated by commas, got ${JSON.stringify(pair)}.`);
      env[pair.slice(0, i)] = pair.slice(i + 1);
    }
    let setup = await ui.action('Creating app setup', () => api.post<AppSetup>('/app-setups', {
      app: args.name ? { name: args.name } : {}, source_blob: { url: args.url, version: flags.version }, overrides: { env },
    }), (s) => s.app.name);
    setup = await ui.action(`Setting up ${setup.app.name} (add-ons, config vars, build, release, postdeploy)`, async () => {
      for (let i = 0; setup.status === 'pending' && i < 7200; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        setup = await api.get<AppSetup>(`/app-setups/${setup.id}`);
      }
      return setup;
    }, (s) => s.status);
    if (flags.json) ui.json(setup);
    else if (setup.postdeploy) {
      ui.header(`postdeploy (exit ${setup.postdeploy.exit_code})`);
      ui.log(setup.postdeploy.output.replace(/\n$/, ''));
    }
    if (setup.status !== 'succeeded') throw new CliError(setup.failure_message ?? `The app setup ended ${setup.status}.`);
    if (!flags.json) ui.log(`${setup.resolved_success_url ?? ''}`);
  },
});
