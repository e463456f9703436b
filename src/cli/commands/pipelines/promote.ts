// `slipway pipelines:promote -a SOURCE [--to APPS]`: in a pipeline, a pipeline promotion (POST
// /pipeline-promotions) of SOURCE's current slug to every app of the next stage, or to the apps named,
// then each target's status as the heroku CLI prints it. An app in no pipeline can still be promoted to
// named apps (`--to`): SOURCE's slug is released on each (the same blob, nothing rebuilt). Either way
// each target keeps its own config vars.

import { appFlags, defineCommand, flag } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';
import type { Release } from '../../types.ts';
import { coupling, pipelineApps, type PromotionTarget } from './common.ts';

export default defineCommand({
  id: 'pipelines:promote',
  description: "promote the latest release of this app to its downstream app(s)\nThe target apps run the same slug with their own config vars.",
  flags: {
    ...appFlags,
    to: flag.string({ char: 't', helpValue: 'APPS', description: 'comma-separated names of the apps to promote to' }),
  },
  examples: ['slipway pipelines:promote -a demo-staging', 'slipway pipelines:promote -a demo-staging --to demo,demo-eu'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const targets = (flags.to ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    const app = await ctx.app();
    const c = await coupling(api, app);
    if (c) {
      const apps = await pipelineApps(api, c.pipeline.id);
      const byName = new Map(apps.map((a) => [a.name, a]));
      for (const t of targets) if (!byName.has(t) && !apps.some((a) => a.id === t)) throw new CliError(`Cannot find app ${t} in pipeline ${c.pipeline.name}.`);
      const promotion = await ui.action(`Starting promotion to ${targets.length ? `apps: ${targets.join(',')}` : 'the next stage'}`, () => api.post<{ id: string }>('/pipeline-promotions', {
        pipeline: { id: c.pipeline.id }, source: { app: { id: c.app.id } },
        ...(targets.length ? { targets: targets.map((t) => ({ app: { id: (byName.get(t) ?? { id: t }).id } })) } : {}),
      }));
      let states: PromotionTarget[] = [];
      for (let i = 0; i < 3600; i++) {
        states = await api.get<PromotionTarget[]>(`/pipeline-promotions/${promotion.id}/promotion-targets`);
        if (states.every((t) => t.status !== 'pending')) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const names = new Map(apps.map((a) => [a.id, a.name]));
      const ok = states.every((t) => t.status === 'succeeded');
      ui.log(ok ? '\nPromotion successful' : '');
      for (const t of states) ui.log(`${names.get(t.app.id) ?? t.app.id}: ${t.status}${t.error_message ? ` ${t.error_message}` : ''}`);
      if (!ok) throw new CliError('Promotion to some apps failed.');
      return;
    }
    if (targets.length === 0) throw new UsageError(`${app} is not in a pipeline: add it (pipelines:add), or name the apps to promote to with --to APPS.`);
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
