// `slipway open [PATH]`: the app's web URL (GET /apps/A) in a browser, or printed where there is none.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { appFlags, defineCommand } from '../../command.ts';
import type { App } from '../../types.ts';

/** The desktop's URL opener if it is on PATH and there is a display to open on. */
function opener(env: NodeJS.ProcessEnv): string | undefined {
  const name = process.platform === 'darwin' ? 'open' : 'xdg-open';
  if (process.platform !== 'darwin' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export default defineCommand({
  id: 'apps:open',
  aliases: ['open'],
  description: 'open the app in a web browser\nPrints the URL instead when no browser can be started.',
  args: [{ name: 'path', description: 'path to open on the app, e.g. /admin' }],
  flags: { ...appFlags },
  async run(ctx) {
    const { args, api, ui, env } = ctx;
    const app = await api.get<App>(`/apps/${encodeURIComponent(await ctx.app())}`);
    const url = new URL(args.path ?? '', app.web_url).href;
    const cmd = opener(env);
    if (!cmd) return ui.log(url);
    ui.stderr.write(`Opening ${url}...\n`);
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => ui.log(url));
    child.unref();
  },
});
