// One delivery attempt of an app webhook: an HTTP(S) POST of the signed payload to the receiver, through
// the outbound guard (egress/: the receiver's host is resolved and refused when internal unless the
// operator allowed it; the socket connects to the checked address; no redirects followed). Bounded: the
// attempt ends after `timeoutMs`, and at most 64 KB of the answer is read (then discarded).
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { EgressRefused, guardedLookup, refusal, type EgressPolicy } from '../egress/index.ts';

export interface AttemptResult {
  /** The receiver's HTTP status; null when there was no answer. */
  code: number | null;
  /** Why there was no 2xx, as Heroku's `error_class` names it (null on success). */
  errorClass: string | null;
  /** A sentence for the platform's log. */
  detail: string;
}

/** Heroku-Webhook-Hmac-SHA256: base64 HMAC-SHA256 of the body with the webhook's secret. */
export function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

/** A receiver URL as a user may give it: http(s), no credentials, at most 2 KB; the problem otherwise. */
export function urlProblem(url: string): string | undefined {
  if (url.length > 2048) return 'url is longer than 2048 characters.';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `url ${JSON.stringify(url.slice(0, 60))} is not a URL: give an http(s) URL such as https://example.com/hooks.`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `url must be http or https, not ${u.protocol.replace(':', '')}.`;
  if (u.username || u.password) return 'url must not carry credentials: use --authorization for the receiver\'s Authorization header.';
  return undefined;
}

export async function attempt(url: string, body: string, headers: Record<string, string>, policy: EgressPolicy, timeoutMs: number): Promise<AttemptResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) {
    const why = refusal(host, policy);
    if (why) return { code: null, errorClass: 'EgressRefused', detail: `refusing to connect to ${host}: ${why}` };
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    let done = false;
    const finish = (r: AttemptResult) => { if (!done) { done = true; resolve(r); } };
    const req = request(target, {
      method: 'POST', lookup: guardedLookup(policy) as never, agent: false, timeout: timeoutMs,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'Slipway-Webhooks', ...headers },
    }, (res) => {
      let seen = 0;
      res.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > 64 * 1024) res.destroy();
      });
      const code = res.statusCode ?? null;
      const settle = () => finish(code !== null && code >= 200 && code < 300
        ? { code, errorClass: null, detail: `answered ${code}` }
        : { code, errorClass: 'HTTPError', detail: `answered ${code}` });
      res.on('end', settle);
      res.on('close', settle);
      res.on('error', settle);
    });
    req.on('timeout', () => {
      req.destroy();
      finish({ code: null, errorClass: 'Timeout', detail: `no answer within ${Math.round(timeoutMs / 1000)} s` });
    });
    req.on('error', (err) => finish({
      code: null, errorClass: err instanceof EgressRefused ? 'EgressRefused' : ((err as NodeJS.ErrnoException).code ?? 'ConnectionError'), detail: err.message.slice(0, 200),
    }));
    req.end(body);
  });
}
