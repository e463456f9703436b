// The platform's own health on the API port, answered before the API's key check:
//   GET /healthz  liveness: the process answers (200, always, while it runs);
//   GET /readyz   readiness: every part's check (readiness.ts); 200 when all are fine, else 503, the
//                 body naming what is wrong with each part, as JSON;
//   GET /metrics  Prometheus' text format (metrics.ts), for a scraper holding SLIPWAY_METRICS_TOKEN as
//                 a bearer token; without that setting only to connections from loopback.
// Each answers GET (and HEAD) only; their bodies say nothing about tenants' apps beyond counts and ids.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PlatformMetrics } from './metrics.ts';
import { runChecks, type Check } from './readiness.ts';

export interface HealthEndpointsOptions {
  checks: Record<string, Check>;
  metrics: PlatformMetrics;
  /** SLIPWAY_METRICS_TOKEN; unset: /metrics answers loopback only. */
  metricsToken?: string;
}

const PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** Compares in constant time (through hashes, so lengths do not leak either). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]!).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export class HealthEndpoints {
  constructor(private readonly o: HealthEndpointsOptions) {}

  /** Answers the request when it is one of the health paths; false leaves it to the API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    if (!PATHS.has(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { id: 'method_not_allowed', message: `${path} answers GET only.` }, { Allow: 'GET, HEAD' });
      return true;
    }
    const answer = path === '/healthz' ? Promise.resolve(send(res, 200, { status: 'ok' }))
      : path === '/readyz' ? this.ready(res)
      : this.scrape(req, res);
    answer.catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { id: 'internal_server_error', message: `The health check failed: ${err.message}` });
      else res.destroy();
    });
    return true;
  }

  private async ready(res: ServerResponse): Promise<void> {
    const r = await runChecks(this.o.checks);
    send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'unready', checks: r.checks });
  }

  private async scrape(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = this.o.metricsToken;
    if (token ? !tokenMatches(req.headers.authorization, token) : !isLoopback(req.socket.remoteAddress)) {
      const message = token
        ? 'Pass the scrape token (SLIPWAY_METRICS_TOKEN) as `Authorization: Bearer <token>`.'
        : 'The metrics answer loopback only while SLIPWAY_METRICS_TOKEN is unset: set it to scrape from elsewhere.';
      send(res, token ? 401 : 403, { id: token ? 'unauthorized' : 'forbidden', message });
      return;
    }
    const text = await this.o.metrics.text();
    res.writeHead(200, { 'Content-Type': this.o.metrics.contentType, 'Cache-Control': 'no-store' }).end(text);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers }).end(`${JSON.stringify(body)}\n`);
}
