// `slipway apps:info`: an app's add-ons, URLs, owner, region, stack, dynos and sizes (GET /apps/A, /apps/A/dynos,
// /apps/A/addons).

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { shellQuote } from '../../config-vars.ts';
import type { App, Dyno } from '../../types.ts';
import { styledObject } from '../../ux.ts';

/** Bytes as `512 B`, `42 MB` (powers of 1024, whole units), as the heroku CLI prints sizes. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${Math.round(n)} ${units[u]}`;
}

export default defineCommand({
  id: 'apps:info',
  aliases: ['info'],
  description: 'show detailed app information',
  flags: {
    ...appFlags,
    shell: flag.boolean({ char: 's', description: 'output more shell friendly key/value pairs' }),
    json: jsonFlag,
  },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const name = await ctx.app();
    const path = `/apps/${encodeURIComponent(name)}`;
    const [app, dynos, addons] = await Promise.all([
      api.get<App>(path),
      api.get<Dyno[]>(`${path}/dynos`).catch((): Dyno[] => []),
      api.get<{ plan: { name: string } }[]>(`${path}/addons`).catch(() => []),
    ]);
    if (flags.json) return ui.json({ app, dynos, addons });

    const counts = new Map<string, number>();
    for (const d of dynos) counts.set(d.type, (counts.get(d.type) ?? 0) + 1);
    const stack = app.stack?.name ?? '';
    const next = app.build_stack?.name;
    const fields: [string, string, string | undefined][] = [
      ['Addons', 'addons', addons.map((a) => a.plan.name).sort().join(', ') || undefined],
      ['Dynos', 'dynos', [...counts].map(([t, n]) => `${t}: ${n}`).join(', ') || undefined],
      ['Git URL', 'git_url', app.git_url],
      ['Owner', 'owner', app.owner?.email],
      ['Region', 'region', app.region?.name],
      ['Repo Size', 'repo_size', typeof app.repo_size === 'number' ? humanSize(app.repo_size) : undefined],
      ['Slug Size', 'slug_size', typeof app.slug_size === 'number' ? humanSize(app.slug_size) : undefined],
      ['Stack', 'stack', next && next !== stack ? `${stack} (next build will use ${next})` : stack || undefined],
      ['Web URL', 'web_url', app.web_url],
    ];
    const present = fields.filter((f): f is [string, string, string] => f[2] !== undefined);
    if (flags.shell) return ui.lines(present.map(([, key, v]) => `${key}=${shellQuote(v)}`));
    ui.header(app.name);
    ui.lines(styledObject(present.map(([label, , v]) => [label, v])));
  },
});
