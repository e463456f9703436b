// The two brakes of throttle.ts, kept across restarts: what changed is written to the `throttles` table
// every second (and at stop), and read back at start. A crash loses at most the last second's changes;
// a stop, none. Rows whose entry has lapsed (a refusal over, a bucket refilled) are dropped at start.
import type { Logger } from '../logger/index.ts';
import type { Db } from '../store/index.ts';
import { LoginThrottle, RateLimiter, type LoginThrottleOptions, type RateLimitOptions, type ThrottleEntry } from './throttle.ts';

type Kind = 'login' | 'rate';
interface Saved { changes(): (ThrottleEntry | { key: string; gone: true })[]; restore(entries: ThrottleEntry[]): void }

export interface ThrottlesOptions {
  db: Db;
  login?: LoginThrottleOptions;
  /** The API rate limit; undefined: none. */
  rate?: RateLimitOptions;
  /** How often changes are written (default 1 s). */
  saveEveryMs?: number;
  logger?: Logger;
}

export class Throttles {
  readonly login: LoginThrottle;
  readonly rate: RateLimiter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly o: ThrottlesOptions) {
    this.login = new LoginThrottle(o.login);
    this.rate = o.rate ? new RateLimiter(o.rate) : undefined;
  }

  /** The throttles with what the store kept, saving their changes from now on. */
  static async open(o: ThrottlesOptions): Promise<Throttles> {
    const t = new Throttles(o);
    const rows = await o.db.selectFrom('throttles').selectAll().execute();
    for (const [kind, throttle] of t.kinds()) throttle.restore(rows.filter((r) => r.kind === kind).map((r) => ({ key: r.key, amount: r.amount, at: r.at })));
    // What was restored is marked changed: the first save writes it back in place of every row, so
    // lapsed rows go.
    await t.save(true);
    t.timer = setInterval(() => void t.save(), o.saveEveryMs ?? 1000);
    t.timer.unref();
    return t;
  }

  private kinds(): [Kind, Saved][] {
    return this.rate ? [['login', this.login], ['rate', this.rate]] : [['login', this.login]];
  }

  /** Writes what changed since the last save (`replace`: in place of every row); saves run one after another. */
  save(replace = false): Promise<void> {
    this.saving = this.saving.then(async () => {
      const changes = this.kinds().map(([kind, throttle]) => [kind, throttle.changes()] as const);
      if (!replace && changes.every(([, c]) => c.length === 0)) return;
      await this.o.db.transaction().execute(async (trx) => {
        if (replace) await trx.deleteFrom('throttles').execute();
        for (const [kind, list] of changes) {
          for (const c of list) {
            if ('gone' in c) await trx.deleteFrom('throttles').where('kind', '=', kind).where('key', '=', c.key).execute();
            else {
              await trx.insertInto('throttles').values({ kind, key: c.key, amount: c.amount, at: Math.round(c.at) })
                .onConflict((oc) => oc.columns(['kind', 'key']).doUpdateSet({ amount: c.amount, at: Math.round(c.at) })).execute();
            }
          }
        }
      });
    }).catch((err: unknown) => this.o.logger?.error({ err }, 'could not save the login and rate-limit throttles'));
    return this.saving;
  }

  /** Stops the timer and saves what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }
}
