// The Scheduler commands: scheduler (list), scheduler:add, scheduler:update, scheduler:remove, on
// /apps/{app}/scheduler/jobs. `--every 10m|1h|1d [--at HH:MM]` as Heroku Scheduler offers; `--cron` is ours.

import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import { UsageError } from '../../errors.ts';
import { table } from '../../ux.ts';

interface Job { id: string; command: string; every: string | null; at: string | null; cron: string; dyno_size: string | null; next_run_at: string; last_run_at: string | null }

const path = (app: string, id?: string) => `/apps/${encodeURIComponent(app)}/scheduler/jobs${id ? `/${encodeURIComponent(id)}` : ''}`;
const whenFlags = {
  every: flag.string({ helpValue: '10m|1h|1d', description: 'how often the job runs' }),
  at: flag.string({ helpValue: 'HH:MM', description: 'when (UTC): the minute of the hour for 1h (:MM), the time of day for 1d' }),
  cron: flag.string({ helpValue: 'EXPR', description: 'a five-field cron expression instead of --every (UTC)' }),
  size: flag.string({ helpValue: 'SIZE', description: 'dyno size of the runs (default standard-1x)' }),
};
const when = (j: Job) => (j.every ? `every ${j.every}${j.at ? ` at ${j.at}` : ''}` : `cron ${j.cron}`);

export const list = defineCommand({
  id: 'scheduler',
  aliases: ['scheduler:jobs'],
  description: "list the app's Scheduler jobs",
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const app = await ctx.app();
    const jobs = await ctx.api.get<Job[]>(path(app));
    if (ctx.flags.json) return ctx.ui.json(jobs);
    if (jobs.length === 0) return ctx.ui.log(`${app} has no Scheduler jobs. Add one with scheduler:add --every 1h COMMAND.`);
    ctx.ui.lines(table([['ID', 'Schedule', 'Size', 'Next run', 'Last run', 'Command'], ...jobs.map((j) => [
      j.id.slice(0, 8), when(j), j.dyno_size ?? 'standard-1x', j.next_run_at, j.last_run_at ?? 'never', j.command,
    ])]));
  },
});

export const add = defineCommand({
  id: 'scheduler:add',
  description: 'add a Scheduler job\nIts runs are one-off dynos scheduler.N on the current release, each stopped after its interval.',
  variadic: true,
  args: [{ name: 'command', description: 'the command to run', required: true }],
  flags: { ...appFlags, ...whenFlags },
  examples: ['slipway scheduler:add --every 10m "bin/poll"', 'slipway scheduler:add --every 1d --at 03:30 --size standard-2x "rake cleanup"', 'slipway scheduler:add --cron "0 9 * * 1-5" bin/report'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const command = ctx.argv.join(' ');
    if (!flags.every && !flags.cron) throw new UsageError('Give --every 10m|1h|1d (with --at) or --cron "EXPR".');
    const job = await ui.action(`Adding a job to ${app}`, () => api.post<Job>(path(app), { command, every: flags.every, at: flags.at, cron: flags.cron, dyno_size: flags.size }), (j) => j.id.slice(0, 8));
    ui.log(`${when(job)}: ${job.command} (next run ${job.next_run_at})`);
  },
});

/** A job by its full id or the 8 characters `scheduler` shows. */
async function jobId(api: { get<T>(p: string): Promise<T> }, app: string, id: string): Promise<string> {
  const jobs = await api.get<Job[]>(path(app));
  const found = jobs.filter((j) => j.id === id || j.id.startsWith(id));
  if (found.length !== 1) throw new UsageError(found.length ? `${id} names more than one job: give more of its id.` : `No Scheduler job ${id} on ${app}: scheduler -a ${app} lists them.`);
  return found[0]!.id;
}

export const update = defineCommand({
  id: 'scheduler:update',
  description: 'change a Scheduler job (its schedule, size or command)',
  variadic: true,
  args: [{ name: 'id', description: 'the job (as scheduler lists it)', required: true }],
  flags: { ...appFlags, ...whenFlags },
  async run(ctx) {
    const { flags, api, ui } = ctx;
    const app = await ctx.app();
    const id = await jobId(api, app, ctx.args.id!);
    const command = ctx.argv.slice(1).join(' ') || undefined;
    const job = await ui.action(`Updating job ${id.slice(0, 8)}`, () => api.patch<Job>(path(app, id), { command, every: flags.every, at: flags.at, cron: flags.cron, dyno_size: flags.size }));
    ui.log(`${when(job)}: ${job.command} (next run ${job.next_run_at})`);
  },
});

export const remove = defineCommand({
  id: 'scheduler:remove',
  description: 'remove a Scheduler job',
  args: [{ name: 'id', description: 'the job (as scheduler lists it)', required: true }],
  flags: { ...appFlags },
  async run(ctx) {
    const app = await ctx.app();
    const id = await jobId(ctx.api, app, ctx.args.id!);
    await ctx.ui.action(`Removing job ${id.slice(0, 8)}`, () => ctx.api.delete(path(app, id)));
  },
});
