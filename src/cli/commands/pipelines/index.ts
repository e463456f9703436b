// The pipelines commands but promote (promote.ts): list, create, add, info, diff, remove, rename, destroy.
// Names and flags as the heroku CLI has them.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { CliError, UsageError } from '../../errors.ts';
import type { Release } from '../../types.ts';
import { table } from '../../ux.ts';
import { coupling, findPipeline, pipelineApps, STAGE_ORDER, type Coupling, type Pipeline } from './common.ts';

const stageFlag = flag.string({ char: 's', helpValue: 'STAGE', description: `stage of first app in pipeline (${STAGE_ORDER.join(', ')})` });

function stageOf(stage: string | undefined, app: string): string {
  if (stage) return stage;
  if (/-(stg|staging)$/.test(app)) return 'staging';
  if (/-(dev|development|uat|tst|test|qa)$/.test(app)) return 'development';
  if (/-(prd|prod|production|admin|demo)$/.test(app)) return 'production';
  throw new UsageError('Missing required flag -s, --stage STAGE (development, staging or production).');
}

export const list = defineCommand({
  id: 'pipelines',
  description: 'list pipelines you have access to',
  flags: { json: jsonFlag },
  async run({ flags, api, ui }) {
    const pipelines = await api.get<Pipeline[]>('/pipelines');
    if (flags.json) return ui.json(pipelines);
    ui.header('My Pipelines');
    for (const p of pipelines) ui.log(p.name);
  },
});

export const create = defineCommand({
  id: 'pipelines:create',
  description: 'create a new pipeline\nThe app (-a) is its first app, at the stage given (or inferred from its name).',
  args: [{ name: 'name', description: 'name of pipeline (defaults to the app name without its -staging/-dev suffix)' }],
  flags: { ...appFlags, stage: stageFlag },
  examples: ['slipway pipelines:create -a demo-staging -s staging demo'],
  async run(ctx) {
    const { args, flags, api, ui } = ctx;
    const app = await ctx.app();
    const name = args.name ?? app.replace(/-(stg|staging|dev|development|uat|tst|test|qa|prd|prod|production)$/, '');
    const stage = stageOf(flags.stage, app);
    const p = await ui.action(`Creating ${name} pipeline`, () => api.post<Pipeline>('/pipelines', { name }));
    await ui.action(`Adding ${app} to ${p.name} pipeline as ${stage}`, () => api.post('/pipeline-couplings', { app, pipeline: p.id, stage }));
  },
});

export const add = defineCommand({
  id: 'pipelines:add',
  description: 'add this app to a pipeline',
  args: [{ name: 'pipeline', description: 'name or ID of pipeline', required: true }],
  flags: { ...appFlags, stage: stageFlag },
  examples: ['slipway pipelines:add demo -a demo-prod -s production'],
  async run(ctx) {
    const { args, flags, api, ui } = ctx;
    const app = await ctx.app();
    const p = await findPipeline(api, args.pipeline!);
    const stage = stageOf(flags.stage, app);
    await ui.action(`Adding ${app} to ${p.name} pipeline as ${stage}`, () => api.post('/pipeline-couplings', { app, pipeline: p.id, stage }));
  },
});

export const info = defineCommand({
  id: 'pipelines:info',
  description: 'show list of apps in a pipeline',
  args: [{ name: 'pipeline', description: 'pipeline to show', required: true }],
  flags: { json: jsonFlag },
  async run({ args, flags, api, ui }) {
    const p = await findPipeline(api, args.pipeline!);
    const apps = await pipelineApps(api, p.id);
    if (flags.json) return ui.json({ pipeline: p, apps });
    ui.header(p.name);
    ui.lines(table([['app name', 'stage'], ...apps.map((a) => [a.name, a.stage])]));
  },
});

export const diff = defineCommand({
  id: 'pipelines:diff',
  description: "compare this app's release with its downstream app(s)\nSays, per downstream app, whether it runs the same slug and which commit each runs.",
  flags: { ...appFlags },
  async run(ctx) {
    const { api, ui } = ctx;
    const app = await ctx.app();
    const c = await coupling(api, app);
    if (!c) throw new CliError(`${app} is not in a pipeline: add it first (pipelines:add).`);
    const apps = await pipelineApps(api, c.pipeline.id);
    const next = STAGE_ORDER.slice(STAGE_ORDER.indexOf(c.stage) + 1).find((s) => apps.some((a) => a.stage === s));
    if (!next) return ui.log(`There are no downstream apps for ${app}.`);
    const current = async (name: string) => (await api.get<Release[]>(`/apps/${encodeURIComponent(name)}/releases`)).filter((r) => r.current)[0];
    const mine = await current(app);
    for (const target of apps.filter((a) => a.stage === next)) {
      const theirs = await current(target.name);
      const commit = async (name: string, r: Release | undefined) => {
        if (!r?.slug) return 'nothing deployed';
        const slug = await api.get<{ id: string; commit: string | null }>(`/apps/${encodeURIComponent(name)}/slugs/${r.slug.id}`);
        return slug.commit ? slug.commit.slice(0, 7) : `slug ${slug.id.slice(0, 8)}`;
      };
      if (mine?.slug && theirs?.slug && mine.slug.id === theirs.slug.id) ui.log(`${app} is up to date with ${target.name} (both run ${await commit(app, mine)}).`);
      else ui.log(`${app} (${await commit(app, mine)}) differs from ${target.name} (${await commit(target.name, theirs)}): promote it with pipelines:promote -a ${app}.`);
    }
  },
});

export const remove = defineCommand({
  id: 'pipelines:remove',
  description: 'remove this app from its pipeline',
  flags: { ...appFlags },
  async run(ctx) {
    const { api, ui } = ctx;
    const app = await ctx.app();
    const c = await coupling(api, app);
    if (!c) throw new CliError(`${app} is not in a pipeline.`);
    await ui.action(`Removing ${app}`, () => api.delete<Coupling>(`/pipeline-couplings/${c.id}`));
  },
});

export const rename = defineCommand({
  id: 'pipelines:rename',
  description: 'rename a pipeline',
  args: [{ name: 'pipeline', description: 'current name of pipeline', required: true }, { name: 'name', description: 'new name of pipeline', required: true }],
  flags: {},
  async run({ args, api, ui }) {
    const p = await findPipeline(api, args.pipeline!);
    await ui.action(`Renaming ${p.name} pipeline to ${args.name}`, () => api.patch<Pipeline>(`/pipelines/${p.id}`, { name: args.name }));
  },
});

export const destroy = defineCommand({
  id: 'pipelines:destroy',
  description: 'destroy a pipeline (its apps stay)',
  args: [{ name: 'pipeline', description: 'name of pipeline', required: true }],
  flags: {},
  async run({ args, api, ui }) {
    const p = await findPipeline(api, args.pipeline!);
    await ui.action(`Destroying ${p.name} pipeline`, () => api.delete<Pipeline>(`/pipelines/${p.id}`));
  },
});
