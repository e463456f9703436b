// The router's data path in Node: forwards one request, or one Upgrade, to a dyno with Node's http
// client, streaming bodies both ways, and reports how it ended (an Outcome: status, timings, bytes,
// or an H-code) exactly once. What the router decides (which app, which dyno, which H-code for a
// missing dyno) is elsewhere; this file only moves bytes and classifies I/O failures:
//   connect refused / timed out, after retries on other dynos ........ H21 / H19
//   connected, then closed or reset before any response byte ......... H13
//   no response byte within requestTimeoutMs of the request being sent  H12
//   response started, then the dyno's connection died ................ H18 (client is cut off)
//   client left before the response was complete ...................... H27
// Bounds: each upstream request owns at most two timers (connect, first byte), cleared when it ends.
// The request body is not read before the dyno connection is open, so a refused connect can be
// retried on another dyno without losing it; buffering beyond that is Node's stream back-pressure.
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { clientResponseHeaders, responseHeadBytes } from './headers.ts';
import type { HCode } from './hcodes.ts';
import { rawHead, sendPage, sendRawPage } from './respond.ts';
import type { RouteTarget } from '../dynos/routes.ts';

/** How one exchange ended, for the router line. */
export interface Outcome {
  code?: HCode;
  dyno?: string;
  connectMs?: number;
  serviceMs?: number;
  status?: number;
  bytes?: number;
}

export interface ForwardOptions {
  first: RouteTarget;
  /** Another up dyno not tried yet, for a retry after a failed connect. */
  next: (tried: ReadonlySet<string>) => RouteTarget | undefined;
  headers: OutgoingHttpHeaders;
  /** Keep-alive agent for the dyno; `false` for a dedicated connection (upgrades). */
  agentFor: (target: RouteTarget) => http.Agent | false;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Connect attempts in all, across dynos. */
  connectAttempts: number;
  /** Every upstream socket, so the router can destroy them when it closes. */
  track: (socket: Socket) => void;
  /** Called exactly once, when the exchange is over. */
  finish: (outcome: Outcome) => void;
  /** The page a failed exchange answers with (the app's own, or the application error page). */
  errorPage?: string;
}

const noop = (): void => {};

type Opened = { up: ClientRequest; connectMs: number } | { failure: 'H19' | 'H21'; connectMs: number };

/** One connect attempt: resolves once the socket is connected (or reused), or failed. */
function openOnce(target: RouteTarget, method: string, path: string, o: ForwardOptions): Promise<Opened> {
  const started = performance.now();
  const up = http.request({ host: target.host, port: target.port, method, path, headers: o.headers, agent: o.agentFor(target), setHost: false });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: Opened): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('failure' in result) up.destroy();
      resolve(result);
    };
    const elapsed = (): number => performance.now() - started;
    const timer = setTimeout(() => settle({ failure: 'H19', connectMs: elapsed() }), o.connectTimeoutMs);
    // Stays attached: after the connect it keeps a late error from being unhandled; the caller adds
    // its own listener for the errors it cares about.
    up.on('error', () => settle({ failure: 'H21', connectMs: elapsed() }));
    up.once('socket', (socket: Socket) => {
      o.track(socket);
      if (socket.connecting) socket.once('connect', () => settle({ up, connectMs: elapsed() }));
      else settle({ up, connectMs: 0 });
    });
  });
}

type Connected = { ok: true; up: ClientRequest; target: RouteTarget; connectMs: number };
type Failed = { ok: false; code: 'H19' | 'H21'; target: RouteTarget; connectMs: number };

/** Connects to `first`, then to other up dynos while attempts remain (Heroku retries up to 10). */
async function connect(method: string, path: string, o: ForwardOptions, first: RouteTarget, gone: () => boolean): Promise<Connected | Failed> {
  const tried = new Set<string>();
  let target: RouteTarget | undefined = first;
  let failed: Failed | undefined;
  for (let attempt = 0; attempt < o.connectAttempts && target; attempt++) {
    tried.add(target.dyno);
    const opened = await openOnce(target, method, path, o);
    if ('up' in opened) return { ok: true, up: opened.up, target, connectMs: opened.connectMs };
    failed = { ok: false, code: opened.failure, target, connectMs: opened.connectMs };
    if (gone()) break;
    target = o.next(tried);
  }
  return failed ?? { ok: false, code: 'H21', target: first, connectMs: 0 };
}

/**
 * What every caller of connect() does next: if the request already ended meanwhile, drop the new
 * connection; if connecting failed, answer 503 and report the failure; else hand the connection on.
 */
function usable(c: Connected | Failed, done: boolean, answer503: () => void, end: (o: Outcome) => void): Connected | undefined {
  if (done) {
    if (c.ok) c.up.destroy();
    return undefined;
  }
  if (!c.ok) {
    answer503();
    end({ dyno: c.target.dyno, connectMs: c.connectMs, code: c.code });
    return undefined;
  }
  return c;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Proxies a plain HTTP request. Never throws; the Outcome goes to `o.finish`. */
export async function forwardHttp(req: IncomingMessage, res: ServerResponse, o: ForwardOptions): Promise<void> {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  const bodyless = !hasBody(req);
  let done = false;
  let current: ClientRequest | undefined;
  let facts: Outcome = {};
  const end = (outcome: Outcome): void => {
    if (done) return;
    done = true;
    o.finish(outcome);
  };
  req.on('error', noop); // a client reset mid-body is reported as H27 below
  let clientGone = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    current?.destroy();
    end({ ...facts, code: 'H27', status: undefined });
  });

  const relay = (up: ClientRequest, target: RouteTarget, connectMs: number, retried: boolean): void => {
    current = up;
    const sentAt = performance.now();
    const service = (): number => performance.now() - sentAt;
    facts = { dyno: target.dyno, connectMs, serviceMs: 0, bytes: 0 };
    let firstByte: NodeJS.Timeout | undefined;
    let status: number | undefined;
    let bytes = 0;
    up.once('finish', () => {
      if (status === undefined && !done) {
        firstByte = setTimeout(() => {
          up.destroy();
          req.unpipe(up);
          sendPage(res, 503, o.errorPage);
          end({ ...facts, code: 'H12', serviceMs: service(), bytes: 0 });
        }, o.requestTimeoutMs);
      }
    });
    up.on('close', () => clearTimeout(firstByte));
    up.on('error', () => {
      clearTimeout(firstByte);
      if (done) return;
      if (status === undefined) {
        // The dyno closed a pooled keep-alive connection just as it was reused: safe to resend a
        // request without a body, once, on a fresh connection.
        if (up.reusedSocket && bodyless && !retried && !clientGone) {
          void connect(method, path, { ...o, agentFor: () => false }, target, () => clientGone).then((again) => {
            const c = usable(again, done, () => sendPage(res, 503, o.errorPage), end);
            if (c) relay(c.up, c.target, c.connectMs, true);
          });
          return;
        }
        sendPage(res, 503, o.errorPage);
        end({ ...facts, code: 'H13', serviceMs: service(), bytes: 0 });
        return;
      }
      res.destroy();
      end({ ...facts, code: 'H18', serviceMs: service(), status, bytes });
    });
    up.on('response', (upRes: IncomingMessage) => {
      clearTimeout(firstByte);
      if (done) {
        upRes.destroy();
        return;
      }
      status = upRes.statusCode ?? 502;
      bytes = responseHeadBytes(status, upRes.statusMessage ?? '', upRes.rawHeaders);
      try {
        const headers = clientResponseHeaders(upRes.rawHeaders);
        if (upRes.statusMessage) res.writeHead(status, upRes.statusMessage, headers);
        else res.writeHead(status, headers);
      } catch {
        upRes.destroy();
        up.destroy();
        sendPage(res, 503, o.errorPage);
        end({ ...facts, code: 'H17', serviceMs: service(), bytes });
        return;
      }
      upRes.on('data', (chunk: Buffer) => (bytes += chunk.length));
      upRes.on('error', noop);
      upRes.on('close', () => {
        if (upRes.complete || done) return;
        res.destroy();
        end({ ...facts, code: 'H18', serviceMs: service(), status, bytes });
      });
      res.once('finish', () => end({ ...facts, serviceMs: service(), status, bytes }));
      upRes.pipe(res);
    });
    // A retry only ever happens for a request without a body, so nothing is lost by ending here.
    if (bodyless) up.end();
    else req.pipe(up);
  };

  const c = usable(await connect(method, path, o, o.first, () => clientGone), done, () => sendPage(res, 503, o.errorPage), end);
  if (c) relay(c.up, c.target, c.connectMs, false);
}

/**
 * Proxies an Upgrade (WebSocket) request: on the dyno's 101 the two sockets are piped together
 * until either side closes; the exchange (and its one log line, `status=101`, `service=` the whole
 * session) ends then. A dyno that answers anything else has that answer relayed and the socket closed.
 */
export async function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, o: ForwardOptions): Promise<void> {
  const method = req.method ?? 'GET';
  const path = req.url ?? '/';
  let done = false;
  let tunnel = false;
  let current: ClientRequest | undefined;
  let facts: Outcome = {};
  const end = (outcome: Outcome): void => {
    if (done) return;
    done = true;
    o.finish(outcome);
  };
  socket.on('error', noop);
  let clientGone = false;
  socket.once('close', () => {
    if (tunnel) return;
    clientGone = true;
    current?.destroy();
    end({ ...facts, code: 'H27', status: undefined });
  });

  const connected = usable(await connect(method, path, { ...o, agentFor: () => false }, o.first, () => clientGone), done, () => sendRawPage(socket, 503, o.errorPage), end);
  if (!connected) return;
  const { up, target, connectMs } = connected;
  current = up;
  const sentAt = performance.now();
  const service = (): number => performance.now() - sentAt;
  facts = { dyno: target.dyno, connectMs, serviceMs: 0, bytes: 0 };
  let responded = false;
  let status: number | undefined;
  let bytes = 0;
  const firstByte = setTimeout(() => {
    up.destroy();
    sendRawPage(socket, 503, o.errorPage);
    end({ ...facts, code: 'H12', serviceMs: service(), bytes: 0 });
  }, o.requestTimeoutMs);
  up.on('close', () => clearTimeout(firstByte));

  up.on('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
    clearTimeout(firstByte);
    responded = true;
    o.track(upSocket);
    upSocket.on('error', noop);
    if (done) {
      upSocket.destroy();
      return;
    }
    tunnel = true;
    status = 101;
    bytes = responseHeadBytes(101, upRes.statusMessage ?? '', upRes.rawHeaders) + upHead.length;
    const close = (): void => {
      upSocket.destroy();
      socket.destroy();
      end({ ...facts, serviceMs: service(), status, bytes });
    };
    upSocket.once('close', close);
    socket.once('close', close);
    socket.write(rawHead(101, upRes.statusMessage, clientResponseHeaders(upRes.rawHeaders, true)));
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });

  up.on('response', (upRes: IncomingMessage) => {
    clearTimeout(firstByte);
    responded = true;
    if (done) {
      upRes.destroy();
      return;
    }
    status = upRes.statusCode ?? 502;
    bytes = responseHeadBytes(status, upRes.statusMessage ?? '', upRes.rawHeaders);
    // No Upgrade happened: relay the answer on the raw socket, delimited by closing it.
    socket.write(rawHead(status, upRes.statusMessage, [...clientResponseHeaders(upRes.rawHeaders), 'Connection', 'close']));
    upRes.on('data', (chunk: Buffer) => (bytes += chunk.length));
    upRes.on('error', noop);
    upRes.on('end', () => {
      socket.end();
      end({ ...facts, serviceMs: service(), status, bytes });
    });
    upRes.on('close', () => {
      if (upRes.complete || done) return;
      socket.destroy();
      end({ ...facts, code: 'H18', serviceMs: service(), status, bytes });
    });
    upRes.pipe(socket, { end: false });
  });

  up.on('error', () => {
    clearTimeout(firstByte);
    if (done || tunnel) return;
    if (!responded) {
      sendRawPage(socket, 503, o.errorPage);
      end({ ...facts, code: 'H13', serviceMs: service(), bytes: 0 });
    }
  });
  up.end();
}
