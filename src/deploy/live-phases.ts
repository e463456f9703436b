// The phases of a deploy after its release, read from the app's log stream as a user's `logs --tail`
// would show them: the dyno manager's `Starting process` line of a web dyno (dyno start), its `State
// changed from starting to up` (its port answers), and the router's first `at=info` line after that (the
// first answer through the router). Lines before the release are not this deploy's.
import type { Phase } from '../build/phases.ts';

/** What the phases need of a log line (logs/'s LogLine has these). */
export interface LiveLine { time: Date; source: string; dyno: string; message: string }

/** Subscribes to an app's live log lines; returns unsubscribe. */
export type SubscribeLines = (appId: string, onLine: (line: LiveLine) => void) => () => void;

/** A watch begun before the build (the release starts the dynos before the build returns). */
export interface LiveWatch {
  /** The release was made at `at`: resolves with the phases seen within `timeoutMs` (none when no web dyno answered). */
  released(at: number, timeoutMs?: number): Promise<Phase[]>;
  cancel(): void;
}

export function watchLivePhases(subscribe: SubscribeLines, appId: string): LiveWatch {
  const p = new LivePhases();
  let settle: (() => void) | undefined;
  const unsubscribe = subscribe(appId, (line) => { if (p.see(line)) settle?.(); });
  return {
    released: (at, timeoutMs = 60_000) => new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      settle = () => {
        settle = undefined;
        clearTimeout(timer);
        unsubscribe();
        resolve(p.phases());
      };
      if (p.release(at)) return settle();
      timer = setTimeout(() => settle?.(), timeoutMs);
      timer.unref?.();
    }),
    cancel: unsubscribe,
  };
}

/** The pure part: feed lines in order; `see` says when the first answer has come. */
export class LivePhases {
  private releasedAt?: number;
  /** Lines seen before the release's time is known: the newest few hundred of interest. */
  private pending: LiveLine[] = [];
  private started?: number;
  private up?: number;
  private answered?: number;

  /** Feeds one line; true once the first answer after the release has come. */
  see(l: LiveLine): boolean {
    if (this.releasedAt !== undefined) return this.apply(l);
    if (!interesting(l)) return false;
    this.pending.push(l);
    if (this.pending.length > 500) this.pending.shift();
    return false;
  }

  /** The release was made at `at`: the lines held so far are read against it. */
  release(at: number): boolean {
    this.releasedAt = at;
    const held = this.pending;
    this.pending = [];
    return held.some((l) => this.apply(l));
  }

  private apply(l: LiveLine): boolean {
    const t = l.time.getTime();
    if (t < this.releasedAt! || !interesting(l)) return this.answered !== undefined;
    if (l.dyno === 'router') {
      if (this.up !== undefined) this.answered ??= t;
    } else if (this.started === undefined) {
      if (l.message.startsWith('Starting process with command')) this.started = t;
    } else if (this.up === undefined && l.message === 'State changed from starting to up') {
      this.up = t;
    }
    return this.answered !== undefined;
  }

  phases(): Phase[] {
    const out: Phase[] = [];
    if (this.started === undefined) return out;
    out.push({ name: 'release → dyno start', start: this.releasedAt!, end: this.started });
    if (this.up === undefined) return out;
    out.push({ name: 'dyno start → port answers', start: this.started, end: this.up });
    if (this.answered !== undefined) out.push({ name: 'port answers → first answer through the router', start: this.up, end: this.answered });
    return out;
  }
}

/** A web dyno's start or state line, or a router line of an answer a web dyno gave. */
function interesting(l: LiveLine): boolean {
  if (l.dyno === 'router') return l.message.startsWith('at=info') && / dyno=web\.\d+ /.test(` ${l.message} `);
  return l.source === 'heroku' && /^web\.\d+$/.test(l.dyno);
}
