// Task output into Logplex: one follow of each service's logs through the engine (`GET
// /services/{id}/logs?follow`, which reaches tasks on every node), each line handed on with the task it
// came from; the cluster names the dyno. A follow that ends while its service exists starts again from
// the last line's time. A line past 10,000 bytes is cut into pieces, as a runc dyno's.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../logger/index.ts';

const MAX_LINE_BYTES = 10_000;
const TASK = /(?:^|,)com\.docker\.swarm\.task\.id=([a-z0-9]+)/;

/** One raw log line of the engine (`<timestamp> <details> <message>`) → its time, task and message. */
export function parseServiceLogLine(line: string): { at?: string; task?: string; message: string } {
  let rest = line;
  let at: string | undefined;
  const ts = /^(\d{4}-\d\d-\d\dT\S+) /.exec(rest);
  if (ts) { at = ts[1]; rest = rest.slice(ts[0].length); }
  const sp = rest.indexOf(' ');
  const details = sp >= 0 ? rest.slice(0, sp) : rest;
  const task = TASK.exec(details)?.[1];
  if (!task) return { at, message: rest };
  return { at, task, message: sp >= 0 ? rest.slice(sp + 1) : '' };
}

export class TaskLogs {
  private readonly streams = new Map<string, { appId: string; stream?: NodeJS.ReadableStream & { destroy?: () => void } }>();
  private closed = false;
  private readonly since = (Date.now() / 1000).toFixed(9);

  constructor(
    private readonly docker: Docker,
    private readonly logger: Logger,
    private readonly onLine: (appId: string, taskId: string, line: string) => void,
  ) {}

  /** Follows the service's output (once; a second call for it does nothing). */
  follow(appId: string, serviceId: string): void {
    if (this.closed || this.streams.has(serviceId)) return;
    this.streams.set(serviceId, { appId });
    this.start(appId, serviceId, this.since);
  }

  private start(appId: string, serviceId: string, since: string): void {
    const entry = this.streams.get(serviceId);
    if (!entry) return;
    let last = since;
    void (this.docker.getService(serviceId).logs({ follow: true, stdout: true, stderr: true, details: true, timestamps: true, since } as Docker.ContainerLogsOptions))
      .then((raw) => {
        entry.stream = raw as typeof entry.stream;
        const out = new PassThrough();
        this.docker.modem.demuxStream(raw, out, out);
        let buffer = '';
        out.setEncoding('utf8');
        out.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const parsed = parseServiceLogLine(buffer.slice(0, nl));
            buffer = buffer.slice(nl + 1);
            if (parsed.at) last = (Date.parse(parsed.at) / 1000 + 1e-6).toFixed(6);
            if (!parsed.task) continue;
            for (let i = 0; i < Math.max(1, parsed.message.length); i += MAX_LINE_BYTES) this.onLine(appId, parsed.task, parsed.message.slice(i, i + MAX_LINE_BYTES));
          }
        });
        raw.on('end', () => this.ended(appId, serviceId, last));
        raw.on('error', () => this.ended(appId, serviceId, last));
      })
      .catch(() => { this.streams.delete(serviceId); });
  }

  private ended(appId: string, serviceId: string, last: string): void {
    if (this.closed || !this.streams.has(serviceId)) return;
    // The service is gone (its follow ends with it), or the engine ended the follow: look again later.
    setTimeout(() => {
      if (this.closed || !this.streams.has(serviceId)) return;
      void this.docker.getService(serviceId).inspect().then(
        () => this.start(appId, serviceId, last),
        () => { this.streams.delete(serviceId); },
      );
    }, 1000).unref();
  }

  forgetApp(appId: string): void {
    for (const [id, e] of this.streams) if (e.appId === appId) { this.streams.delete(id); e.stream?.destroy?.(); }
  }

  close(): void {
    this.closed = true;
    for (const e of this.streams.values()) e.stream?.destroy?.();
    this.streams.clear();
    this.logger.debug('stopped following task output');
  }
}
