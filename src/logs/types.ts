// Logplex's public face: every component writes log lines here; tails and log sessions read them.

/** `app` for everything the app's dynos print and the API's audit lines; `heroku` for the platform. */
export type LogSource = 'app' | 'heroku';

export interface LogLine {
  /** Microsecond-precision time, as logplex writes it. */
  time: Date;
  /** Extra microseconds beyond `time`'s milliseconds (0-999), so lines keep their order when printed. */
  micros: number;
  source: LogSource;
  /** `web.1`, `run.4711`, `router`, `api`, `release.3`, ... */
  dyno: string;
  message: string;
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
