// Logplex's public face: every component writes log lines here; tails and log sessions read them.

/** `app` for everything the app's dynos print and the API's audit lines; `heroku` for the platform. */
export type LogSource = 'app' | 'heroku';

export interface LogLine {
  /** Microsecond-precision time, as logplex writes it. */
  time: Date;
  /** Extra microseconds beyond `time`'s milliseconds (0-999), so lines keep their order when printed. */
  micros: number;
  /** `formatTimestamp` of this line, kept once made (a line is rendered for each tail and drain). */
  stampText?: string;
  source: LogSource;
  /** `web.1`, `run.4711`, `router`, `api`, `release.3`, ... */
  dyno: string;
  message: string;
  /**
   * True when `dyno` and `message` are plain ASCII (set by `emit`, which checks a whole message at
   * once): the line's UTF-8 bytes are then its characters, so renderers count bytes by length and
   * write it as latin1, the same bytes at a fraction of the cost. Absent means unknown.
   */
  ascii?: boolean;
}

export interface LogFilter {
  /** Exact dyno name (`web.1`) or a bare process type (`web` matches `web.1`, `web.2`). */
  dyno?: string;
  source?: LogSource;
}

/** What components are handed to write lines for an app. */
export interface LogSink {
  emit(appId: string, source: LogSource, dyno: string, message: string): void;
}

/**
 * What readers (the API's `heroku logs`; drains use `Logplex.follow`) are handed. Added beside `LogSink` so a reader
 * can be given without the right to write, and a writer without the right to read.
 */
export interface LogReader {
  /** The newest `n` lines of the app's history that match `filter`, oldest first. */
  recent(appId: string, n: number, filter?: LogFilter): LogLine[];
  /**
   * Live lines of the app that match `filter`, in order: handed over inside `emit` while the
   * subscriber is idle. `onLine` may return a promise to say "I am busy"; lines then queue (bounded;
   * overflow is dropped and reported with an L11 line) until it settles. Returns unsubscribe.
   */
  subscribe(appId: string, filter: LogFilter, onLine: (line: LogLine) => void | Promise<void>): () => void;
}

/** Body of `POST /apps/{app}/log-sessions`, as the API passes it on. */
export interface LogSessionOptions {
  /** History lines to send first: default 100, clamped to 0..1500. */
  lines?: number;
  /** Keep streaming new lines after the history until the client disconnects. */
  tail?: boolean;
  /** Exact dyno name or bare process type. */
  dyno?: string;
  source?: LogSource;
}

/** A stored, not yet used log session. The API turns `id` into `logplex_url`. */
export interface LogSession {
  id: string;
  appId: string;
  lines: number;
  tail: boolean;
  filter: LogFilter;
  created_at: string;
  updated_at: string;
}
