// Idling and daily cycling, checked on one timer. Idling (the seed's rule): an app whose formation is
// exactly one eco web dyno sleeps after `idleAfterMs` without a request (the dyno stays listed as
// `idle`); a request wakes it (`unidle`). Cycling: each dyno is restarted once it has run `cycleMs`
// plus a random share of `cycleJitterMs`, as Heroku's daily restart.
import { webDynos, type AppEntry } from './app-entry.ts';
import type { Dyno } from './dyno.ts';

export interface IdlingHost {
  apps(): Iterable<AppEntry>;
  log(app: AppEntry, dyno: string, message: string): void;
  wake(appId: string): void;
  /** Marks a dyno whose name a successor takes (its exit is then not the app's business). */
  replace(dyno: Dyno): void;
  isReplaced(dyno: Dyno): boolean;
}

export class Idling {
  /** Per dyno incarnation: when it is due for its daily cycle. */
  private readonly cycleAt = new WeakMap<Dyno, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly host: IdlingHost, private readonly o: { idleAfterMs: number; cycleMs: number; cycleJitterMs: number }) {}

  start(): void {
    const every = Math.max(50, Math.min(60_000, this.o.idleAfterMs / 4, this.o.cycleMs / 4));
    this.timer = setInterval(() => this.check(), every);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A dyno started: its daily cycle is due from now. */
  started(dyno: Dyno): void {
    this.cycleAt.set(dyno, Date.now() + this.o.cycleMs + Math.random() * this.o.cycleJitterMs);
  }

  /** Wakes a sleeping web dyno: a fresh boot of the same release, the router holding the request meanwhile. */
  unidle(app: AppEntry, d: Dyno): void {
    if (this.host.isReplaced(d) || app.dynos.get(d.name) !== d) return;
    this.host.replace(d);
    this.host.log(app, d.name, 'Unidling');
    this.host.log(app, d.name, 'State changed from idle to starting');
    app.dynos.delete(d.name);
    this.host.wake(app.id);
  }

  private check(): void {
    const now = Date.now();
    for (const app of this.host.apps()) {
      const web = webDynos(app);
      if (app.webQuantity === 1 && app.webSize === 'eco' && web.length === 1 && web[0]!.state === 'up'
        && now - app.lastRequestAt >= this.o.idleAfterMs) {
        void web[0]!.stop({ idle: true });
        continue;
      }
      for (const d of app.dynos.values()) {
        const due = this.cycleAt.get(d);
        if (due === undefined || now < due || d.state !== 'up') continue;
        this.cycleAt.delete(d);
        this.host.log(app, d.name, 'Cycling');
        d.restartRequested = true;
        void d.stop();
      }
    }
  }
}
