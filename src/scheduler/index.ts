// Heroku Scheduler: an app's jobs (a command and when: every 10m, 1h or 1d with --at, or a cron
// expression, our addition), run while the app has the `scheduler` add-on. Each run is a one-off dyno
// `scheduler.N` on the app's current release and config, its output in the app's log, and is stopped once
// it has run for its interval (a 10-minute job runs at most ~10 minutes), so runs never pile up; a job
// whose previous run is somehow still going is skipped, never doubled. Best effort, as on Heroku: the
// ticker looks every `tickMs`; runs missed while the platform was down are reported in the app's log, not
// replayed. The next run time is written before a run starts, so a crash never runs it twice. At most
// 50 jobs per app.
import { randomUUID } from 'node:crypto';
import { PlatformError } from '../errors.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import { now, type Db } from '../store/index.ts';
import type { SchedulerJobsTable } from '../store/schema.ts';
import { clock, everyToCron, nextCron, parseCron, runLimit, ScheduleError } from './schedule.ts';

export type JobRow = SchedulerJobsTable;
export const JOBS_PER_APP = 50;

/** A running one-off, as the scheduler needs it. */
export interface SchedulerDyno { name: string; exitStatus: Promise<number>; stop(): Promise<void> | void }

export interface SchedulerOptions {
  db: Db;
  /** Starts a one-off dyno of type `scheduler` on the app's current release. */
  run(appId: string, command: string, size: string | undefined): Promise<SchedulerDyno>;
  /** A line in the app's log stream, from `scheduler`. */
  log(appId: string, message: string): void;
  /** Length of a scheduler minute (a test setting, SLIPWAY_SCHEDULER_MINUTE); 60 000 in production. */
  minuteMs?: number;
  tickMs?: number;
  logger?: Logger;
}

export interface JobInput { command?: string; every?: string | null; at?: string | null; cron?: string | null; dyno_size?: string | null }

const bad = (m: string) => new PlatformError(422, 'invalid_params', m);

export class Scheduler {
  private readonly logger: Logger;
  private readonly clock: ReturnType<typeof clock>;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /** Runs under way, by job id (one at a time per job). */
  private readonly running = new Map<string, SchedulerDyno>();

  constructor(private readonly o: SchedulerOptions) {
    this.logger = componentLogger(o.logger, 'scheduler');
    this.clock = clock(o.minuteMs ?? 60_000);
  }

  list(appId: string): Promise<JobRow[]> {
    return this.o.db.selectFrom('scheduler_jobs').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();
  }

  async find(appId: string, id: string): Promise<JobRow> {
    const row = await this.o.db.selectFrom('scheduler_jobs').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlatformError(404, 'not_found', "Couldn't find that Scheduler job: list them with scheduler -a APP.", 'scheduler-job');
    return row;
  }

  async add(appId: string, input: JobInput): Promise<JobRow> {
    if (!(await this.hasAddon(appId))) throw bad('This app has no Scheduler: add it first with addons:create scheduler:standard.');
    if ((await this.list(appId)).length >= JOBS_PER_APP) throw bad(`An app may have at most ${JOBS_PER_APP} Scheduler jobs: remove one first (scheduler:remove).`);
    const when = this.when(input);
    const command = checkCommand(input.command);
    const t = now();
    const row: JobRow = {
      id: randomUUID(), app_id: appId, command, every: when.every, at: when.at, cron: when.cron, dyno_size: input.dyno_size ?? null,
      next_run_at: this.next(when.cron, Date.now()), last_run_at: null, created_at: t, updated_at: t,
    };
    await this.o.db.insertInto('scheduler_jobs').values(row).execute();
    return row;
  }

  async update(appId: string, id: string, input: JobInput): Promise<JobRow> {
    const row = await this.find(appId, id);
    const next = { ...row, updated_at: now() };
    if (input.command !== undefined) next.command = checkCommand(input.command);
    if (input.dyno_size !== undefined) next.dyno_size = input.dyno_size;
    if (input.every != null || input.cron != null || input.at != null) {
      const when = this.when({ every: input.every ?? (input.cron ? null : row.every), at: input.at ?? (input.cron ? null : row.at), cron: input.cron ?? null });
      Object.assign(next, when, { next_run_at: this.next(when.cron, Date.now()) });
    }
    await this.o.db.updateTable('scheduler_jobs').set(next).where('id', '=', id).execute();
    return next;
  }

  async remove(appId: string, id: string): Promise<JobRow> {
    const row = await this.find(appId, id);
    await this.o.db.deleteFrom('scheduler_jobs').where('id', '=', id).execute();
    return row;
  }

  /** How long a run of the job may last (real ms). */
  limitMs(row: Pick<JobRow, 'cron'>): number {
    const v = runLimit(parseCron(row.cron), this.clock.virtual(Date.now()));
    return this.clock.real(v);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? Math.min(5000, Math.max(200, (this.o.minuteMs ?? 60_000) / 4)));
    this.timer.unref();
  }

  /** Stops the ticker and the runs under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.running.values()].map((d) => d.stop()));
  }

  /** One pass: every job due runs (or is skipped while its last run goes on); missed runs are reported. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const t = Date.now();
      const due = await this.o.db.selectFrom('scheduler_jobs').selectAll().where('next_run_at', '<=', new Date(t).toISOString()).execute();
      for (const job of due) await this.due(job, t).catch((err) => this.logger.error({ err, job: job.id }, 'scheduler run failed'));
    } catch (err) {
      this.logger.error({ err }, 'scheduler pass failed');
    } finally {
      this.ticking = false;
    }
  }

  private async due(job: JobRow, t: number): Promise<void> {
    const cron = parseCron(job.cron);
    const scheduled = Date.parse(job.next_run_at);
    // Every slot between the one due and now was missed (the platform was down): said, not replayed.
    let missed = 0;
    let slot = this.clock.virtual(scheduled);
    const vnow = this.clock.virtual(t);
    for (let n = nextCron(cron, slot); n <= vnow && missed < 10_000; n = nextCron(cron, n)) { missed++; slot = n; }
    const next = this.next(job.cron, t);
    // Written first: a crash after this never runs the slot again.
    await this.o.db.updateTable('scheduler_jobs').set({ next_run_at: next, last_run_at: new Date(t).toISOString(), updated_at: now() }).where('id', '=', job.id).execute();
    if (missed > 0) this.o.log(job.app_id, `Skipped ${missed} run${missed === 1 ? '' : 's'} of "${short(job.command)}" missed while the platform was down (missed runs are not replayed)`);
    if (!(await this.hasAddon(job.app_id))) return;
    if (this.running.has(job.id)) {
      this.o.log(job.app_id, `Skipped a run of "${short(job.command)}": its previous run (${this.running.get(job.id)!.name}) is still going`);
      return;
    }
    let dyno: SchedulerDyno;
    try {
      dyno = await this.o.run(job.app_id, job.command, job.dyno_size ?? undefined);
    } catch (err) {
      this.o.log(job.app_id, `Could not run "${short(job.command)}": ${(err as Error).message}`);
      return;
    }
    this.running.set(job.id, dyno);
    const limit = this.limitMs(job);
    const timer = setTimeout(() => {
      this.o.log(job.app_id, `Stopping ${dyno.name}: it ran for its interval (${Math.round(limit / 1000)} s); runs never pile up`);
      void dyno.stop();
    }, limit);
    void dyno.exitStatus.finally(() => {
      clearTimeout(timer);
      this.running.delete(job.id);
    });
  }

  private next(cronExpr: string, after: number): string {
    return new Date(Math.ceil(this.clock.real(nextCron(parseCron(cronExpr), this.clock.virtual(after))))).toISOString();
  }

  private when(input: JobInput): { every: string | null; at: string | null; cron: string } {
    try {
      if (input.cron) {
        if (input.every || input.at) throw new ScheduleError('Give either --every (with --at) or --cron, not both.');
        parseCron(input.cron);
        return { every: null, at: null, cron: input.cron.trim().replace(/\s+/g, ' ') };
      }
      if (!input.every) throw new ScheduleError('A job needs --every 10m|1h|1d (with --at HH:MM) or --cron "EXPR".');
      return { every: input.every, at: input.at ?? null, cron: everyToCron(input.every, input.at ?? undefined) };
    } catch (err) {
      if (err instanceof ScheduleError) throw bad(err.message);
      throw err;
    }
  }

  private async hasAddon(appId: string): Promise<boolean> {
    const row = await this.o.db.selectFrom('addon_attachments').innerJoin('addons', 'addons.id', 'addon_attachments.addon_id')
      .select('addons.id').where('addon_attachments.app_id', '=', appId).where('addons.service', '=', 'scheduler').executeTakeFirst();
    return row !== undefined;
  }
}

function checkCommand(command: string | undefined): string {
  if (!command?.trim()) throw bad('A job needs a command, e.g. scheduler:add --every 1h "bin/cleanup".');
  if (command.length > 4096) throw bad('A job\'s command may be at most 4096 characters.');
  return command;
}

const short = (c: string) => (c.length > 60 ? `${c.slice(0, 60)}…` : c);
