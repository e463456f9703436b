// `slipway reviewapps:enable -p PIPELINE` / `reviewapps:disable -p PIPELINE`: review apps on a pipeline.
// With them on, a branch other than main/master pushed to the pipeline's staging app becomes a review app.

import { defineCommand, flag } from '../../command.ts';
import { UsageError } from '../../errors.ts';
import { findPipeline } from '../pipelines/common.ts';

const pipelineFlag = flag.string({ char: 'p', helpValue: 'PIPELINE', description: 'name of pipeline' });

export const enable = defineCommand({
  id: 'reviewapps:enable',
  description: "enable review apps on a pipeline\nEach branch pushed to the pipeline's staging app (other than main/master) gets a review app from its app.json.",
  flags: { pipeline: pipelineFlag, autodestroy: flag.boolean({ description: 'destroy review apps left without a push (SLIPWAY_REVIEW_APP_STALE_DAYS)' }) },
  async run({ flags, api, ui }) {
    if (!flags.pipeline) throw new UsageError('Missing required flag -p, --pipeline PIPELINE.');
    const p = await findPipeline(api, flags.pipeline);
    await ui.action(`Enabling review apps on ${p.name}`, () => api.post(`/pipelines/${p.id}/review-app-config`, { automatic_review_apps: true, destroy_stale_apps: flags.autodestroy }));
  },
});

export const disable = defineCommand({
  id: 'reviewapps:disable',
  description: 'disable review apps on a pipeline (existing review apps stay until their branches go)',
  flags: { pipeline: pipelineFlag },
  async run({ flags, api, ui }) {
    if (!flags.pipeline) throw new UsageError('Missing required flag -p, --pipeline PIPELINE.');
    const p = await findPipeline(api, flags.pipeline);
    await ui.action(`Disabling review apps on ${p.name}`, () => api.delete(`/pipelines/${p.id}/review-app-config`));
  },
});
