// The CLI's error types and how each is shown to the user (` ▸    message` on stderr).

/** An error whose message is meant for the user as is. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad command-line input: shown with a pointer to --help. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'UsageError';
  }
}

/** A non-2xx answer from the Platform API, carrying its `{id, message}` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly id: string | undefined;
  readonly body: unknown;
  readonly method: string;
  readonly url: string;
  constructor(opts: { status: number; id?: string; message: string; body: unknown; method: string; url: string }) {
    super(opts.message);
    this.name = 'ApiError';
    this.status = opts.status;
    this.id = opts.id;
    this.body = opts.body;
    this.method = opts.method;
    this.url = opts.url;
  }
}

/** Ids whose message says everything; any other id is shown as `Error ID: <id>` for bug reports. */
const SELF_EXPLAINING_IDS = new Set(['not_found', 'invalid_params', 'conflict', 'forbidden', 'bad_request', 'unauthorized']);

export const ARROW = ' ▸    ';

/** Every line prefixed with the heroku CLI's error arrow. */
export function arrowLines(message: string): string {
  return message.split('\n').map((l) => (l === '' ? ARROW.trimEnd() : ARROW + l)).join('\n');
}

/** The text for an error and the exit code it ends the process with. */
export function renderError(err: unknown, debug = false): { text: string; exitCode: number } {
  if (err instanceof UsageError) {
    return { text: arrowLines(`${err.message}\nSee more help with --help`), exitCode: err.exitCode };
  }
  if (err instanceof CliError) return { text: arrowLines(err.message), exitCode: err.exitCode };
  if (err instanceof ApiError) {
    let text = err.message;
    if (err.id && !SELF_EXPLAINING_IDS.has(err.id)) text += `\n\nError ID: ${err.id}`;
    if (debug) text += `\n\n${err.method} ${err.url} → ${err.status}`;
    return { text: arrowLines(text), exitCode: 1 };
  }
  if (err instanceof Error) {
    return { text: arrowLines(debug && err.stack ? err.stack : err.message), exitCode: 1 };
  }
  return { text: arrowLines(String(err)), exitCode: 1 };
}
