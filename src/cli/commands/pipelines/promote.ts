// `slipway pipelines:promote -a SOURCE --to TARGET`: releases SOURCE's current slug on each TARGET app
// (the same blob, nothing rebuilt), as a pipeline promotion does; TARGET keeps its own config vars.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';
import type { Release } from '../../types.ts';

export default defineCommand({
  id: 'pipelines:promote',
  description: "promote the latest release of an app to other apps\nThe target apps run the same slug with their own config vars.",
  flags: {
    ...appFlags,
    to: flag.string({ char: 't', helpValue: 'APPS', description: 'comma-separated names of the apps to promote to' }),
  },
  examples: ['slipway pipelines:promote -a demo-staging --to demo'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const targets = (flags.to ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    if (targets.length === 0) throw new UsageError('Missing required flag --to APPS (the apps to promote to).');
    const app = await ctx.app();
    const current = (await api.get<Release[]>(`/apps/${encodeURIComponent(app)}/releases`)).filter((r) => r.current)[0];
    if (!current?.slug) throw new CliError(`${app} has no release with a slug to promote: deploy it first.`);
    let failed = 0;
    for (const target of targets) {
      try {
        await ui.action(
          `Promoting ${app} v${current.version} to ${target}`,
          () => api.post<Release>(`/apps/${encodeURIComponent(target)}/releases`, { slug: current.slug!.id, description: `Promote ${app} v${current.version}` }),
          (r) => `v${r.version}`,
        );
      } catch (err) {
        failed++;
        ui.warn(`${target}: ${(err as Error).message}`);
      }
    }
    if (failed) throw new CliError(`Promotion failed for ${failed} of ${targets.length} app${targets.length === 1 ? '' : 's'}.`);
  },
});
