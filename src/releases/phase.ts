// The release phase: a release whose slug declares a `release` process type stays `pending` while that
// command runs in a one-off dyno (`release.NNNN`) with the release's slug and config; `succeeded` (and
// only then live: dynos restart) when it exits 0, `failed` otherwise, the running dynos untouched.
// Releases of one app settle in version order: one behind a pending release waits for it.
import type { LogSink } from '../logs/types.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { ReleasesTable } from '../store/schema.ts';
import type { OutputStore } from './output.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export type ReleaseStatus = 'succeeded' | 'failed';

/** Runs `command` in a one-off dyno on `release` (any status); resolves with the exit status. */
export type ReleaseCommandRunner = (r: {
  appId: string;
  release: ReleasesTable;
  command: string;
  user: string;
  /** Each chunk of the command's output (stdout and stderr), as it comes. */
  onOutput: (text: string) => void;
  timeoutMs: number;
}) => Promise<number>;

export interface ReleasePhaseOptions {
  db: Db;
  logs: LogSink;
  outputs: OutputStore;
  run: ReleaseCommandRunner;
  timeoutMs: number;
  onLive: (appId: string, release: ReleasesTable) => void | Promise<void>;
  /** Told of a pending release that settled (its new status); must return at once. */
  onSettled?: (release: ReleasesTable) => void;
  logger?: Logger;
}

export class ReleasePhase {
  /** Per app: the tail of its queue of pending releases, and how many are held or queued. */
  private readonly queues = new Map<string, { tail: Promise<void>; count: number }>();
  private readonly waiting = new Map<string, Promise<ReleaseStatus>>();

  private readonly logger: Logger;

  constructor(private readonly o: ReleasePhaseOptions) {
    this.logger = o.logger ?? componentLogger(undefined, 'releases');
  }

  busy(appId: string): boolean {
    return (this.queues.get(appId)?.count ?? 0) > 0;
  }

  /** Counts a release about to be committed as pending; `unhold` if its transaction fails. */
  hold(appId: string): true {
    const q = this.queues.get(appId) ?? { tail: Promise.resolve(), count: 0 };
    q.count++;
    this.queues.set(appId, q);
    return true;
  }

  unhold(appId: string): void {
    const q = this.queues.get(appId);
    if (q && --q.count === 0) this.queues.delete(appId);
  }

  /**
   * Runs the release's command (if any) after the releases ahead of it, then makes it live or failed.
   * `ready` settles once its output stream is open (readers may follow it while it waits its turn).
   */
  enqueue(release: ReleasesTable, user: { email: string }, command: string | undefined, ready: Promise<void>): void {
    const q = this.queues.get(release.app_id)!;
    const result = q.tail.then(() => ready).then(() => this.settle(release, user, command)).catch(async (err) => {
      this.logger.error({ err, app: release.app_id, release: `v${release.version}` }, 'release phase failed');
      // If even that cannot be recorded (the database is closing), the next start fails it.
      return this.finish(release, 'failed').catch(() => 'failed' as const);
    });
    this.waiting.set(release.id, result);
    q.tail = result.then(() => undefined);
    void result.then(() => {
      this.waiting.delete(release.id);
      this.unhold(release.app_id);
    });
  }

  /** Resolves once the release is no longer pending: with its final status. */
  async settled(r: Pick<ReleasesTable, 'id'>): Promise<ReleaseStatus> {
    const waiting = this.waiting.get(r.id);
    if (waiting) return waiting;
    const row = await this.o.db.selectFrom('releases').select('status').where('id', '=', r.id).executeTakeFirst();
    return row?.status === 'succeeded' ? 'succeeded' : 'failed';
  }

  /** Releases a crash left pending can no longer run: they fail, and say why. */
  async recover(): Promise<void> {
    const stuck = await this.o.db.selectFrom('releases').selectAll().where('status', '=', 'pending').execute();
    for (const r of stuck) {
      const before = (await this.o.outputs.read(r.id)) ?? '';
      await this.o.outputs.open(r.id);
      this.o.outputs.write(r.id, `${before} !     The platform stopped while this release was pending; it was not deployed.\n`);
      await this.o.outputs.close(r.id);
      await this.finish(r, 'failed');
      this.o.logs.emit(r.app_id, 'app', 'api', `Release v${r.version} failed: the platform restarted while it was pending`);
    }
  }

  private async settle(release: ReleasesTable, user: { email: string }, command: string | undefined): Promise<ReleaseStatus> {
    if (command === undefined) return this.finish(release, 'succeeded');
    const { logs, outputs } = this.o;
    logs.emit(release.app_id, 'app', 'api', `Running release v${release.version} commands by user ${user.email}`);
    let code: number;
    try {
      code = await this.o.run({
        appId: release.app_id, release, command, user: user.email, timeoutMs: this.o.timeoutMs,
        onOutput: (text) => outputs.write(release.id, text),
      });
    } catch (err) {
      outputs.write(release.id, ` !     The release command could not be started: ${(err as Error).message}\n`);
      code = 1;
    }
    if (code !== 0) {
      outputs.write(release.id, ` !     Release command exited with status ${code}; v${release.version} was not deployed.\n`);
      logs.emit(release.app_id, 'app', 'api', `Release v${release.version} command failed by user ${user.email}`);
    }
    // The stream ends once the status is recorded, so a reader that saw its end reads the outcome.
    try {
      return await this.finish(release, code === 0 ? 'succeeded' : 'failed');
    } finally {
      await outputs.close(release.id);
    }
  }

  private async finish(release: ReleasesTable, status: ReleaseStatus): Promise<ReleaseStatus> {
    const t = now();
    await this.o.db.transaction().execute(async (trx) => {
      await trx.updateTable('releases').set({ status, updated_at: t }).where('id', '=', release.id).where('status', '=', 'pending').execute();
      if (status === 'succeeded') await trx.updateTable('apps').set({ released_at: t, updated_at: t }).where('id', '=', release.app_id).execute();
    });
    this.o.onSettled?.({ ...release, status, updated_at: t });
    if (status === 'succeeded') await this.o.onLive(release.app_id, { ...release, status, updated_at: t });
    return status;
  }
}
