// Preboot (`features:enable preboot`): on a new release, the app's old web dynos keep serving while
// the new ones boot; once every new web dyno is up (or the boot timeout has passed, as Heroku does
// not hold a deploy for a crashing release), the router switches to the new set in one step, and the
// old dynos — no longer listed by `ps` — get SIGTERM after a drain period for requests in flight.
// Chosen: the switch happens as soon as the new dynos are up, not Heroku's fixed ~3 minutes.
import type { Dyno } from './dyno.ts';

export interface PrebootHost {
  /** The app's current web dynos (the new set while a preboot runs). */
  webDynos(appId: string): Dyno[];
  /** How many web dynos the formation wants. */
  webQuantity(appId: string): number;
  changed(): void;
}

interface Run {
  old: Dyno[];
  deadline: NodeJS.Timeout;
}

export class Preboot {
  private readonly runs = new Map<string, Run>();
  private readonly draining = new Set<Promise<void>>();

  constructor(private readonly host: PrebootHost, private readonly o: { switchAfterMs: number; drainMs: number }) {}

  /** Old web dynos hand over to a new release: they keep serving until the switch. */
  begin(appId: string, old: Dyno[]): void {
    if (old.length === 0) return;
    const run = this.runs.get(appId);
    if (run) {
      // A release while one is prebooting: the dynos serving now stay; the half-booted ones are simply replaced.
      return;
    }
    const deadline = setTimeout(() => this.finish(appId), this.o.switchAfterMs);
    this.runs.set(appId, { old, deadline });
  }

  /** The old dynos that serve while the app preboots (undefined when no preboot runs). */
  serving(appId: string): Dyno[] | undefined {
    return this.runs.get(appId)?.old;
  }

  /** A dyno changed state: switch once every new web dyno is up. */
  check(appId: string): void {
    if (!this.runs.has(appId)) return;
    const want = this.host.webQuantity(appId);
    const up = this.host.webDynos(appId).filter((d) => d.state === 'up').length;
    if (up >= want) this.finish(appId);
  }

  /** Switch now: the router takes the new dynos; the old ones drain, then stop. */
  finish(appId: string): void {
    const run = this.runs.get(appId);
    if (!run) return;
    clearTimeout(run.deadline);
    this.runs.delete(appId);
    this.host.changed();
    const stop = (async () => {
      await new Promise((r) => setTimeout(r, this.o.drainMs));
      await Promise.all(run.old.map((d) => d.stop()));
    })();
    this.draining.add(stop);
    void stop.finally(() => this.draining.delete(stop));
  }

  /** Stops everything at once (app destroyed, platform shutting down). */
  async stopAll(appId?: string): Promise<void> {
    for (const [id, run] of this.runs) {
      if (appId && id !== appId) continue;
      clearTimeout(run.deadline);
      this.runs.delete(id);
      await Promise.all(run.old.map((d) => d.stop()));
    }
    if (!appId) await Promise.all(this.draining);
  }
}
