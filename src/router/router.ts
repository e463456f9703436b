// The HTTP router: Host header → app (through the RouteTable) → a random up web dyno, with Heroku's
// headers, H-codes, error pages and one `heroku[router]` log line per request. This file owns the
// listening server, the per-dyno keep-alive agents and the boot hold (H20); decisions are in
// decide.ts, header rules in headers.ts, the line in logline.ts, and the byte moving in proxy.ts.
//
// Bounds: at most `maxSocketsPerDyno` connections to one dyno (more requests queue in its agent);
// idle pooled connections close after `idleSocketMs`; at most `maxAgents` agents (least recently
// used first out). A held request polls the route table every `holdPollMs` for up to `bootHoldMs`.
// `close()` destroys every client and dyno socket and ends every hold; requests cut off by it log
// H24 (Forced close).
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogSink } from '../logs/types.ts';
import { decide, pickTarget, type Random, type RouteDecision } from './decide.ts';
import { clientAddress, forwardedChain, hostOf, requestIdFor, upstreamRequestHeaders } from './headers.ts';
import { hcode } from './hcodes.ts';
import { formatRouterLine } from './logline.ts';
import { appPages, noSuchAppPage } from './pages.ts';
import { forwardHttp, forwardUpgrade, type ForwardOptions, type Outcome } from './proxy.ts';
import { sendPage, sendRawPage } from './respond.ts';
import type { AppRoute, RouteTable, RouteTarget } from '../dynos/routes.ts';

export interface RouterOptions {
  port: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** The apps' default domain (`<app>.<domain>`), named on the "No such app" page. */
  domain: string;
  routes: RouteTable;
  logs: LogSink;
  /** No response byte this long after the request reached the dyno → H12. Default 30 s. */
  requestTimeoutMs?: number;
  /** TCP connect to a dyno this long → H19 (after retries). Default 5 s. */
  connectTimeoutMs?: number;
  /** How long a request waits for a starting dyno to come up → H20. Default 75 s. */
  bootHoldMs?: number;
  /** Route-table poll interval while holding. Default 150 ms. */
  holdPollMs?: number;
  /** Connect attempts in all, across the app's up dynos. Default 10, as Heroku. */
  connectAttempts?: number;
  /** Pooled connections per dyno. Default 200 (Heroku's in-flight allowance per dyno). */
  maxSocketsPerDyno?: number;
  /** Idle pooled connections close after this; below Node's 5 s server keep-alive to dodge races. Default 4 s. */
  idleSocketMs?: number;
  /** Dyno agents kept. Default 1024. */
  maxAgents?: number;
  /** Idle client connections close after this. Default 60 s, as Heroku. */
  clientKeepAliveMs?: number;
  /** Dyno choice. Default Math.random. */
  random?: Random;
  /** Request ids made when the client sent no usable one. Default random UUIDv4. */
  generateRequestId?: () => string;
  /** Each request it answered (status, ms, bytes), for the router metrics. */
  onRequest?: (appId: string, status: number | undefined, ms: number | undefined, bytes: number | undefined, code: string | undefined) => void;
  /** Listen on this unix socket instead of `host:port` (behind HAProxy). */
  socketPath?: string;
  /**
   * Requests come from the HAProxy data path, which already set X-Forwarded-For/-Proto/-Port,
   * X-Request-Id, X-Request-Start and Via: they are taken as they are, not added to again.
   */
  behindProxy?: boolean;
}

export type ResolvedRouterOptions = Required<RouterOptions>;

export function resolveRouterOptions(options: RouterOptions): ResolvedRouterOptions {
  return {
    host: '0.0.0.0',
    requestTimeoutMs: 30_000,
    connectTimeoutMs: 5_000,
    bootHoldMs: 75_000,
    holdPollMs: 150,
    connectAttempts: 10,
    maxSocketsPerDyno: 200,
    idleSocketMs: 4_000,
    maxAgents: 1024,
    clientKeepAliveMs: 60_000,
    random: Math.random,
    generateRequestId: randomUUID,
    socketPath: '',
    behindProxy: false,
    onRequest: (() => undefined) as NonNullable<RouterOptions['onRequest']>,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedRouterOptions;
}

/** How to answer the client: a normal response, or raw bytes on a socket handed over for an Upgrade. */
interface ClientSide {
  error: (status: number, page?: string) => void;
  notFound: () => void;
  forward: (o: ForwardOptions) => Promise<void>;
}

/** What the router knows about a request before choosing a dyno; the common part of its log line. */
interface RequestFacts {
  method: string;
  path: string;
  host: string;
  requestId: string;
  fwd: string[];
  /** Epoch ms at accept, sent as X-Request-Start. */
  acceptedAt: number;
  proto: 'http' | 'https';
  /** The port the client connected to. */
  port: number;
}

export class Router {
  readonly options: ResolvedRouterOptions;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket | Duplex>();
  private readonly agents = new Map<string, http.Agent>();
  private readonly shutdown = new AbortController();
  private closing: Promise<void> | undefined;

  constructor(options: RouterOptions) {
    this.options = resolveRouterOptions(options);
    this.server = http.createServer({ keepAliveTimeout: this.options.clientKeepAliveMs });
    this.server.on('connection', (socket: Socket) => this.track(socket));
    // A request the router cannot make sense of is answered 400, never thrown out of the listener.
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.onRequest(req, res);
      } catch (err) {
        process.stderr.write(`router: request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        if (res.headersSent) res.destroy();
        else res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end('Bad Request\n');
      }
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.onUpgrade(req, socket, head);
      } catch (err) {
        process.stderr.write(`router: upgrade failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        socket.on('error', () => undefined);
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === 'ECONNRESET' || !socket.writable) socket.destroy();
      else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  /** The port actually listened on (useful with `port: 0`). */
  get port(): number {
    const address = this.server.address() as AddressInfo | null;
    return address?.port ?? this.options.port;
  }

  listen(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('router is closed'));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const done = () => {
        this.server.off('error', reject);
        resolve();
      };
      if (this.options.socketPath) this.server.listen(this.options.socketPath, done);
      else this.server.listen(this.options.port, this.options.host, done);
    });
  }

  /** Stops listening and destroys every connection, both sides. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.shutdown.abort();
      if (this.server.listening) this.server.close(() => resolve());
      else resolve();
      for (const socket of this.sockets) socket.destroy();
      for (const agent of this.agents.values()) agent.destroy();
      this.agents.clear();
    });
    return this.closing;
  }

  private track(socket: Socket | Duplex): void {
    if (this.sockets.has(socket)) return;
    if (this.shutdown.signal.aborted) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private facts(req: IncomingMessage, host: string): RequestFacts {
    if (this.options.behindProxy) {
      const h = req.headers;
      const start = Number(h['x-request-start']);
      return {
        method: req.method ?? 'GET', path: req.url ?? '/', host,
        requestId: requestIdFor(h['x-request-id'], this.options.generateRequestId),
        fwd: forwardedChain(h['x-forwarded-for'], ''),
        acceptedAt: Number.isFinite(start) && start > 0 ? start : Date.now(),
        proto: h['x-forwarded-proto'] === 'https' ? 'https' : 'http',
        port: Number(h['x-forwarded-port']) || this.port,
      };
    }
    return {
      proto: 'http',
      port: req.socket.localPort ?? this.port,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      host,
      requestId: requestIdFor(req.headers['x-request-id'], this.options.generateRequestId),
      fwd: forwardedChain(req.headers['x-forwarded-for'], clientAddress(req.socket.remoteAddress)),
      acceptedAt: Date.now(),
    };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const host = hostOf(req.rawHeaders);
    if (!host) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end('Bad Request: missing or invalid Host header\n');
      return;
    }
    const route = this.options.routes.lookup(host);
    if (!route) {
      sendPage(res, 404, noSuchAppPage(this.options.domain));
      return;
    }
    const facts = this.facts(req, host);
    let clientGone = false;
    res.once('close', () => (clientGone = !res.writableFinished));
    this.dispatch(req, route, facts, () => clientGone, {
      error: (status, page) => sendPage(res, status, page),
      notFound: () => sendPage(res, 404, noSuchAppPage(this.options.domain)),
      forward: (o) => forwardHttp(req, res, o),
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const host = hostOf(req.rawHeaders);
    if (!host) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const route = this.options.routes.lookup(host);
    if (!route) {
      sendRawPage(socket, 404, noSuchAppPage(this.options.domain));
      return;
    }
    const facts = this.facts(req, host);
    let clientGone = false;
    socket.on('error', () => socket.destroy());
    socket.once('close', () => (clientGone = true));
    this.dispatch(req, route, facts, () => clientGone, {
      error: (status, page) => sendRawPage(socket, status, page),
      notFound: () => sendRawPage(socket, 404, noSuchAppPage(this.options.domain)),
      forward: (o) => forwardUpgrade(req, socket, head, o),
    });
  }

  /** Runs `route()`; a fault in the router itself (a bug) is answered and logged as H99, never thrown. */
  private dispatch(req: IncomingMessage, route: AppRoute, facts: RequestFacts, clientGone: () => boolean, client: ClientSide): void {
    // Every error page this request may get is the app's own, where it names one.
    const pages = appPages(route);
    const side: ClientSide = { ...client, error: (status, page) => client.error(status, page ?? pages.error) };
    let logged = false;
    const log = (outcome: Outcome): void => {
      if (logged) return;
      logged = true;
      this.log(route.appId, facts, outcome);
    };
    this.route(req, facts, route, clientGone, side, pages, log).catch((err: unknown) => {
      process.stderr.write(`router: request ${facts.requestId} for ${facts.host} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      side.error(503);
      log({ code: 'H99' });
    });
  }

  /** Decides (holding while dynos boot), then answers an H-code or hands the request to the proxy. */
  private async route(
    req: IncomingMessage,
    facts: RequestFacts,
    route: AppRoute,
    clientGone: () => boolean,
    side: ClientSide,
    pages: { error: string; maintenance: string },
    log: (outcome: Outcome) => void,
  ): Promise<void> {
    const decision = await this.decideWithHold(facts.host, route, clientGone);
    switch (decision.kind) {
      case 'no-such-app':
        side.notFound();
        return;
      case 'gone':
        log({ code: 'H27' });
        return;
      case 'error': {
        side.error(hcode(decision.code).status ?? 503, decision.code === 'H80' ? pages.maintenance : undefined);
        log({ code: decision.code });
        return;
      }
      case 'proxy':
        break;
    }
    const headers = upstreamRequestHeaders(req.headers, {
      host: facts.host,
      requestId: facts.requestId,
      fwd: facts.fwd,
      proto: facts.proto,
      port: facts.port,
      requestStart: facts.acceptedAt,
      via: !this.options.behindProxy,
      upgrade: req.headers.upgrade !== undefined,
    });
    await side.forward({
      first: decision.target,
      next: (tried) => pickTarget(this.options.routes.lookup(facts.host)?.up ?? [], this.options.random, tried),
      headers,
      agentFor: (target) => this.agentFor(target),
      errorPage: pages.error,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      connectAttempts: this.options.connectAttempts,
      track: (socket) => this.track(socket),
      finish: log,
    });
  }

  private async decideWithHold(
    host: string,
    route: AppRoute,
    clientGone: () => boolean,
  ): Promise<Exclude<RouteDecision, { kind: 'hold' }> | { kind: 'error'; code: 'H20' } | { kind: 'gone' }> {
    let decision = decide(route, this.options.random);
    const deadline = performance.now() + this.options.bootHoldMs;
    for (;;) {
      if (decision.kind !== 'hold') return decision;
      const left = deadline - performance.now();
      if (left <= 0) return { kind: 'error', code: 'H20' };
      try {
        await sleep(Math.min(this.options.holdPollMs, left), undefined, { signal: this.shutdown.signal });
      } catch {
        return { kind: 'gone' };
      }
      if (clientGone()) return { kind: 'gone' };
      decision = decide(this.options.routes.lookup(host), this.options.random);
    }
  }

  private log(appId: string, facts: RequestFacts, outcome: Outcome): void {
    // Whatever was cut short by close() ends as Heroku's "Forced close".
    const final: Outcome = this.shutdown.signal.aborted && outcome.code ? { ...outcome, code: 'H24', status: undefined } : outcome;
    this.options.logs.emit(appId, 'heroku', 'router', formatRouterLine({ ...facts, ...final, protocol: facts.proto }));
    const status = final.status ?? (final.code ? hcode(final.code).status : undefined);
    const ms = final.connectMs !== undefined || final.serviceMs !== undefined ? (final.connectMs ?? 0) + (final.serviceMs ?? 0) : Date.now() - facts.acceptedAt;
    this.options.onRequest(appId, status, ms, final.bytes, final.code);
  }

  private agentFor(target: RouteTarget): http.Agent {
    const key = `${target.host}:${target.port}`;
    let agent = this.agents.get(key);
    if (agent) {
      this.agents.delete(key); // re-insert: Map order is least recently used first
    } else {
      agent = new http.Agent({
        keepAlive: true,
        maxSockets: this.options.maxSocketsPerDyno,
        maxFreeSockets: this.options.maxSocketsPerDyno,
        timeout: this.options.idleSocketMs,
        scheduling: 'lifo',
      });
    }
    this.agents.set(key, agent);
    if (this.agents.size > this.options.maxAgents) {
      const [oldestKey, oldest] = this.agents.entries().next().value as [string, http.Agent];
      this.agents.delete(oldestKey);
      oldest.destroy();
    }
    return agent;
  }
}
