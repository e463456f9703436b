// One-off dynos: `run.N` (detached, or attached to the user's terminal through the rendezvous) and the
// release phase's `release.N`. They run on a release's slug and config, are listed with the app's dynos,
// end as `complete` and are never restarted.
import { randomInt } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { AppEntry } from './app-entry.ts';
import type { CurrentRelease } from './current-release.ts';
import type { Dyno } from './dyno.ts';

export interface OneOffOptions {
  size?: string;
  env?: Record<string, string>;
  attach?: boolean;
  type?: string;
  /** Run on this release instead of the current one (the release phase runs on the pending release). */
  releaseId?: string;
  onOutput?: (line: string) => void;
}

export class NoReleaseError extends Error {
  constructor() { super('App has no release yet: push code first (git push slipway main).'); }
}

/** Too many one-offs of one account at once (SLIPWAY_ONE_OFFS_PER_ACCOUNT). */
export class OneOffLimitError extends Error {
  constructor(max: number) {
    super(`Cannot run more than ${max} one-off dynos at once for this account (SLIPWAY_ONE_OFFS_PER_ACCOUNT); wait for one to finish, or stop one (ps:stop run.N).`);
  }
}

/** How many one-offs an account may have running at once by default. */
export const ONE_OFFS_PER_ACCOUNT = 10;

export interface OneOffHost {
  app(id: string): AppEntry | undefined;
  /** An app this process has not loaded (one made through another platform process): loaded now. */
  load(id: string): Promise<AppEntry | undefined>;
  apps(): Iterable<AppEntry>;
  release(appId: string, releaseId?: string): Promise<CurrentRelease | undefined>;
  /** The size the formation gives a process type (`ps:type release=SIZE`). */
  formationSize(appId: string, type: string): Promise<string | undefined>;
  launch(app: AppEntry, release: CurrentRelease, d: { name: string; type: string; command: string; oneOff: true; size?: string; startedBy: string; onOutput?: (line: string) => void }, deferStart: boolean): Promise<Dyno>;
  log(app: AppEntry, dyno: string, message: string): void;
  /** A one-off dyno was started for `user` (app webhooks' `api:dyno`). */
  started?(appId: string, dyno: Dyno, user: string): void;
}

export class OneOffs {
  /** Launches under way, by account: counted with the running ones, so runs side by side cannot pass the limit. */
  private readonly launching = new Map<string, number>();

  constructor(private readonly host: OneOffHost, private readonly maxPerAccount = ONE_OFFS_PER_ACCOUNT) {}

  /** The account's `run` dynos not yet ended, over every app (the release phase's are not counted). */
  private running(user: string): number {
    let n = this.launching.get(user) ?? 0;
    for (const app of this.host.apps()) {
      for (const d of app.dynos.values()) {
        if (d.spec.oneOff && d.spec.type !== 'release' && d.spec.startedBy === user && !['complete', 'crashed', 'down'].includes(d.state)) n++;
      }
    }
    return n;
  }

  /**
   * Starts a one-off dyno `run.N` on the current release with its config (plus `env`). Detached, it
   * starts now and its output goes to the log stream. Attached, it is listed at once but boots only when
   * its client arrives (`attach()`), so no output is lost; `attachTimedOut()` ends it if none does.
   */
  async run(appId: string, command: string, user: string, o: OneOffOptions = {}): Promise<Dyno> {
    const app = this.host.app(appId) ?? await this.host.load(appId);
    if (!app) throw new Error('unknown app');
    const release = await this.host.release(appId, o.releaseId);
    if (!release) throw new NoReleaseError();
    let name: string;
    const type = o.type ?? 'run';
    do name = `${type}.${randomInt(1000, 10000)}`; while (app.dynos.has(name));
    const withEnv = o.env ? { ...release, config: { ...release.config, ...o.env } } : release;
    if (this.running(user) >= this.maxPerAccount) throw new OneOffLimitError(this.maxPerAccount);
    this.launching.set(user, (this.launching.get(user) ?? 0) + 1);
    try {
      const dyno = await this.host.launch(app, withEnv, { name, type, command, oneOff: true, size: o.size, startedBy: user, onOutput: o.onOutput }, o.attach === true);
      this.host.started?.(appId, dyno, user);
      return dyno;
    } finally {
      const left = (this.launching.get(user) ?? 1) - 1;
      if (left > 0) this.launching.set(user, left);
      else this.launching.delete(user);
    }
  }

  /**
   * The release phase: `command` in a one-off `release.N` on the given (pending) release, its size the
   * formation's `release` size if scaled (ps:type release=...), stopped after `timeoutMs`. Resolves with
   * the exit status.
   */
  async runReleaseCommand(r: { appId: string; releaseId: string; command: string; user: string; onOutput: (text: string) => void; timeoutMs: number }): Promise<number> {
    const size = await this.host.formationSize(r.appId, 'release');
    const dyno = await this.run(r.appId, r.command, r.user, { releaseId: r.releaseId, type: 'release', size, onOutput: r.onOutput });
    const timer = setTimeout(() => {
      const app = this.host.app(r.appId);
      if (app) this.host.log(app, dyno.name, `Release command timed out after ${Math.round(r.timeoutMs / 1000)} seconds; stopping it`);
      r.onOutput(` !     The release command ran past its timeout (${Math.round(r.timeoutMs / 1000)} s) and was stopped.\n`);
      void dyno.stop();
    }, r.timeoutMs);
    try {
      const code = await dyno.exitStatus;
      return dyno.stoppedByRequest ? (code === 0 ? 1 : code) : code;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The client of an attached one-off has connected: boot it with its terminal. */
  attach(dyno: Dyno, client: { stream: Duplex; tty: boolean; columns?: number; lines?: number }): void {
    void dyno.start(client);
  }

  /** No client came for an attached one-off: R13, and it is gone. */
  attachTimedOut(dyno: Dyno): void {
    const app = this.host.app(dyno.spec.appId);
    if (!app || app.dynos.get(dyno.name) !== dyno) return;
    this.host.log(app, dyno.name, 'Error R13 (Attach error) -> Failed to attach to process');
    this.host.log(app, dyno.name, 'State changed from starting to complete');
    app.dynos.delete(dyno.name);
  }
}
