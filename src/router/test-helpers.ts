// Shared by the router's tests (not a test file itself): real upstream servers on free 127.0.0.1
// ports, a RouteTable the test edits, a LogSink that records lines, and a plain HTTP client.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { LogSink, LogSource } from '../logs/types.ts';
import { Router, type RouterOptions } from './router.ts';
import type { AppRoute, RouteTable, RouteTarget } from '../dynos/routes.ts';

export interface Upstream {
  port: number;
  server: http.Server | net.Server;
  /** Connections accepted so far. */
  connections: number;
  target(dyno: string): RouteTarget;
  close(): Promise<void>;
}

async function listenUpstream(server: http.Server | net.Server): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const up: Upstream = {
    port: 0,
    server,
    connections: 0,
    target: (dyno) => ({ dyno, host: '127.0.0.1', port: up.port }),
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    },
  };
  server.on('connection', (s: net.Socket) => {
    up.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  up.port = (server.address() as AddressInfo).port;
  return up;
}

export function startUpstream(handler: http.RequestListener): Promise<Upstream> {
  return listenUpstream(http.createServer(handler));
}

export function startRawUpstream(onSocket: (socket: net.Socket) => void): Promise<Upstream> {
  return listenUpstream(net.createServer(onSocket));
}

/** A port nothing listens on (it was free a moment ago). */
export async function deadPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A RouteTable over `<app>.localhost`, editable by the test. */
export class TestRoutes implements RouteTable {
  readonly apps = new Map<string, AppRoute>();

  set(appName: string, over: Partial<AppRoute> = {}): AppRoute {
    const route: AppRoute = { appId: `id-${appName}`, appName, up: [], webQuantity: 1, crashed: false, ...over };
    this.apps.set(appName, route);
    return route;
  }

  lookup(hostname: string): AppRoute | undefined {
    const m = /^([a-z0-9-]+)\.localhost$/.exec(hostname);
    return m ? this.apps.get(m[1]!) : undefined;
  }
}

export interface CapturedLine {
  appId: string;
  source: LogSource;
  dyno: string;
  message: string;
}

export class CaptureLogs implements LogSink {
  readonly lines: CapturedLine[] = [];
  private readonly waiters = new Set<() => void>();

  emit(appId: string, source: LogSource, dyno: string, message: string): void {
    this.lines.push({ appId, source, dyno, message });
    for (const w of this.waiters) w();
  }

  /** Waits (bounded) for the `count`-th router line and returns it. */
  nth(count: number, ms = 3000): Promise<CapturedLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.lines.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(this.lines[count - 1]!);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for log line ${count}; have ${JSON.stringify(this.lines)}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }
}

export interface Harness {
  router: Router;
  routes: TestRoutes;
  logs: CaptureLogs;
  close(): Promise<void>;
}

export async function startRouter(options: Partial<RouterOptions> = {}): Promise<Harness> {
  const routes = new TestRoutes();
  const logs = new CaptureLogs();
  const router = new Router({ port: 0, host: '127.0.0.1', domain: 'localhost', routes, logs, ...options });
  await router.listen();
  return { router, routes, logs, close: () => router.close() };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/** One request to the router on a fresh connection; resolves with the whole answer. */
export async function request(
  port: number,
  host: string,
  opts: { path?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const req = http.request({ host: '127.0.0.1', port, path: opts.path ?? '/', method: opts.method ?? 'GET', headers: { Host: host, ...opts.headers }, agent: false });
  req.end(opts.body);
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk;
  return { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body };
}

/** Router line regex for an H-code answered without a dyno (`dyno= connect= service= ... bytes=`). */
export function noDynoLine(code: string, desc: string, host: string): RegExp {
  return new RegExp(
    `^at=error code=${code} desc="${desc}" method=GET path="/" host=${host.replace(/\./g, '\\.')} request_id=[0-9a-f-]{36} fwd="127\\.0\\.0\\.1" dyno= connect= service= status=503 bytes= protocol=http$`,
  );
}

export function assertApplicationError(reply: Reply): void {
  assert.equal(reply.status, 503);
  assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(reply.body, /<title>Application Error<\/title>/);
  assert.match(reply.body, /An error occurred in the application and your page could not be served\. If you are the application owner, check your logs for details\./);
}
