// `slipway config:set K=V...`: PATCH /apps/A/config-vars, then name the release the change made.

import type { ApiClient } from '../../api.ts';
import { appFlags, defineCommand } from '../../command.ts';
import { configLines, parseKeyValues } from '../../config-vars.ts';
import type { Release } from '../../types.ts';

/** `v7` for the newest release, the one a config change just created; undefined when there is none. */
export async function newestRelease(api: ApiClient, app: string): Promise<string | undefined> {
  const releases = await api.get<Release[]>(`/apps/${encodeURIComponent(app)}/releases`, {
    headers: { Range: 'version ..; max=1, order=desc' },
    partial: true,
  });
  return releases[0] ? `v${releases[0].version}` : undefined;
}

export default defineCommand({
  id: 'config:set',
  aliases: ['config:add'],
  description: 'set one or more config vars\nEach change makes a new release and restarts the dynos.',
  args: [{ name: 'var', description: 'KEY=VALUE (the value may hold spaces and =)', required: true }],
  variadic: true,
  flags: { ...appFlags },
  examples: ['slipway config:set RAILS_ENV=staging', 'slipway config:set "GREETING=hello world" SECRET=a=b'],
  async run(ctx) {
    const { argv, api, ui } = ctx;
    const vars = parseKeyValues(argv);
    const app = await ctx.app();
    const keys = Object.keys(vars);
    const result = await ui.action(
      `Setting ${keys.join(', ')} and restarting ${app}`,
      async () => {
        const all = await api.patch<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`, vars);
        return { all, release: await newestRelease(api, app) };
      },
      (r) => r.release,
    );
    const shown: Record<string, string> = {};
    for (const k of keys) shown[k] = result.all?.[k] ?? vars[k]!;
    ui.lines(configLines(shown, ui.c.green));
  },
});
