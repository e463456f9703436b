// Log sessions: create one, then stream its logplex_url to stdout as lines arrive (colourised on a TTY).

import { once, type EventEmitter } from 'node:events';
import type { ApiClient } from './api.ts';
import { explainNetworkError } from './api.ts';
import { userAgent } from './config.ts';
import { CliError } from './errors.ts';
import type { LogSession } from './types.ts';
import type { Out, Palette, Paint } from './ux.ts';

export interface LogSessionParams {
  lines?: number;
  tail: boolean;
  dyno?: string;
  source?: string;
}

/** `<ts> <source>[<dyno>]: <message>`, the logplex display format. */
const LINE = /^(\S+) ([\w-]+)\[([\w.-]+)\]:(.*)$/;

/** A stable colour per process type, so `web.1` and `web.2` match and `worker.1` differs. */
function dynoPaint(source: string, dyno: string, p: Palette): Paint {
  if (source === 'heroku') return dyno === 'router' ? p.blue : p.magenta;
  if (dyno === 'api') return p.green;
  const choices = [p.cyan, p.yellow, p.green, p.blue, p.magenta];
  const type = dyno.split('.')[0]!;
  let h = 0;
  for (const ch of type) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return choices[h % choices.length]!;
}

/** The line with its timestamp dimmed and `source[dyno]:` coloured; other lines unchanged. */
export function colorizeLogLine(line: string, p: Palette): string {
  const m = LINE.exec(line);
  if (!m) return line;
  const [, ts, source, dyno, rest] = m;
  return `${p.dim(ts!)} ${dynoPaint(source!, dyno!, p)(`${source}[${dyno}]:`)}${rest}`;
}

/** Waits for 'drain' when the stream's buffer is full, so a slow reader (`| less`) slows the download instead of growing memory. */
async function write(out: Out, s: string): Promise<void> {
  if (out.write(s) !== false) return;
  const ee = out as Partial<EventEmitter>;
  if (typeof ee.once === 'function') await once(ee as EventEmitter, 'drain');
}

/**
 * Writes a log stream body as it arrives. Plain text passes through chunk by chunk; when colouring (or for
 * server-sent events, where each `data:` line is one log line) a partial line waits for its newline.
 */
async function pump(res: Response, out: Out, paint: ((l: string) => string) | undefined): Promise<void> {
  if (!res.body) return;
  const sse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
  const decoder = new TextDecoder();
  let buf = '';
  const emit = async (line: string) => {
    if (sse) {
      if (!line.startsWith('data:')) return;
      line = line.slice(5).replace(/^ /, '');
    }
    await write(out, `${paint ? paint(line) : line}\n`);
  };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const text = decoder.decode(chunk, { stream: true });
    if (!sse && !paint) {
      await write(out, text);
      continue;
    }
    buf += text;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      await emit(buf.slice(0, nl).replace(/\r$/, ''));
      buf = buf.slice(nl + 1);
    }
  }
  buf += decoder.decode();
  if (buf !== '') {
    if (!sse && !paint) await write(out, buf);
    else await emit(buf);
  }
}

export interface StreamLogsOptions {
  api: ApiClient;
  app: string;
  params: LogSessionParams;
  out: Out;
  /** Colours for `<ts> source[dyno]:` prefixes; none when stdout is not a terminal. */
  palette?: Palette;
}

/** POST /apps/A/log-sessions, then GET its logplex_url (no auth: the URL is the secret) until it ends. */
export async function streamLogs(o: StreamLogsOptions): Promise<void> {
  const body: Record<string, unknown> = { tail: o.params.tail };
  if (o.params.lines !== undefined) body.lines = o.params.lines;
  if (o.params.dyno) body.dyno = o.params.dyno;
  if (o.params.source) body.source = o.params.source;
  const session = await o.api.post<LogSession>(`/apps/${encodeURIComponent(o.app)}/log-sessions`, body);
  if (!session?.logplex_url) throw new CliError('The platform returned a log session without a logplex_url.');
  const url = new URL(session.logplex_url, o.api.base);

  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: 'text/plain', 'User-Agent': userAgent() } });
  } catch (err) {
    throw explainNetworkError(err, o.api.base);
  }
  if (res.status === 403 || res.status === 404) throw new CliError('Log stream timed out. Please try again.');
  if (!res.ok) throw new CliError(`Logs stream failed with: ${res.status} ${res.statusText}`);
  const p = o.palette;
  await pump(res, o.out, p ? (l) => colorizeLogLine(l, p) : undefined);
}
