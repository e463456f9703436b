// The API's Fastify instance, before any route: JSON bodies on every verb, the key check on every request,
// schema validation (the routes' TypeBox schemas, compiled by Fastify's Ajv), the one error handler that
// answers Heroku's `{"id": "...", "message": "..."}`, and the API's own description (OpenAPI, made by
// @fastify/swagger from the same schemas) at GET /openapi.json. server.ts adds the routes; route tests
// build it the same way over fakes of the components.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import type { Account } from '../accounts/index.ts';
import type { RateLimiter } from '../accounts/throttle.ts';
import type { AppRole } from '../apps/access.ts';
import type { AppRow } from '../apps/index.ts';
import { PlatformError } from '../errors.ts';
import { ERROR_MESSAGE } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    account: Account;
    /** The OAuth authorization whose token the caller presented (`~` in /oauth/authorizations/~). */
    authorizationId?: string;
    /** The app a `/apps/:app/...` route names, once the caller's access to it is checked. */
    appAccess?: { app: AppRow; role: AppRole };
  }
  interface FastifyContextConfig {
    /** The route changes who owns or reaches the app (destroy, transfer, collaborators): owner or team admin only. */
    manage?: boolean;
    /** The route checks app access itself (its app is not in `:app`, or is named on the way in). */
    ownAccessCheck?: boolean;
  }
}

export type Api = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface HttpApiOptions {
  /** Who is calling (undefined: no valid key; the request gets 401). */
  authenticate: (req: IncomingMessage) => Promise<Account | undefined>;
  serverFactory?: FastifyServerFactory;
  /** Where an unexpected error (a 500) is reported; the client gets no detail. */
  onInternalError: (err: Error) => void;
  /** The platform's log (none: Fastify logs nothing). A request's lines carry its `request_id`. */
  logger?: FastifyBaseLogger;
  /**
   * Checks the caller may use the app a route's `:app` names (`manage`: may change who owns or reaches
   * it), and returns it; throws Heroku's 404 (or 403) otherwise. Absent: route tests, every app allowed.
   */
  appAccess?: (account: Account, app: string, manage: boolean) => Promise<{ app: AppRow; role: AppRole }>;
  /** Each account's calls (absent: unlimited). */
  rateLimiter?: RateLimiter;
}

/** Paths anyone may ask without a key. */
const PUBLIC_PATHS = new Set(['/', '/openapi.json']);
/** Answered to a password (HTTP Basic email:password) as well as to a key: the route checks it. */
const LOGIN_PATH = '/oauth/authorizations';
/** Asking what is left does not spend a call (as Heroku's). */
const RATE_LIMITS_PATH = '/account/rate-limits';
/** Path prefixes anyone may ask without a key: the buildpack registry lookup (the CLI sends no key there). */
const PUBLIC_PREFIXES = ['/buildpacks/'];
const isPublic = (path: string) => PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));

export async function createHttpApi(o: HttpApiOptions): Promise<Api> {
  const app = Fastify({
    ...(o.logger ? { loggerInstance: o.logger } : { logger: false }),
    // The id Heroku's clients see as Request-Id; a request's lines carry it. One line per request
    // (below) at debug, so the operator's log is not a request log unless asked for.
    genReqId: () => randomUUID(),
    requestIdLogLabel: 'request_id',
    disableRequestLogging: true,
    bodyLimit: 5 * 1024 * 1024,
    ...(o.serverFactory ? { serverFactory: o.serverFactory } : {}),
    // Bodies are checked as sent: no type coercion (a "true" is not a boolean), unknown keys kept and ignored.
    ajv: { customOptions: { coerceTypes: false, keywords: [ERROR_MESSAGE] } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;

  await app.register(swagger, {
    openapi: {
      info: { title: 'Slipway Platform API', version: '3', description: "Heroku's Platform API v3, as Slipway serves it (plus its own additions)." },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });

  // Heroku accepts JSON bodies on every verb, DELETE included (the CLI sends them); an empty body is `{}`.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body ?? '').trim();
    if (!text) return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new PlatformError(400, 'bad_request', 'Request body is not valid JSON.'), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('Request-Id', req.id);
    const path = req.url.split('?')[0]!;
    if (isPublic(path)) return;
    const account = await o.authenticate(req.raw);
    if (!account) {
      if (path === LOGIN_PATH && req.method === 'POST' && /^basic\s/i.test(req.headers.authorization ?? '')) return;
      throw new PlatformError(401, 'unauthorized', 'Invalid credentials provided: pass your API key as `Authorization: Bearer <key>` (slipway login stores it).');
    }
    // The account alone goes on (routes hand it on as a release's or build's user); the token's authorization apart.
    req.account = { id: account.id, email: account.email };
    req.authorizationId = account.authorizationId;
    const spent = !o.rateLimiter || path === RATE_LIMITS_PATH || o.rateLimiter.take(account.id);
    if (o.rateLimiter) {
      reply.header('RateLimit-Remaining', String(o.rateLimiter.remaining(account.id)));
      reply.header('RateLimit-Limit', String(o.rateLimiter.capacity));
    }
    if (!spent) throw new PlatformError(429, 'rate_limit', 'Your account reached the API rate limit: calls refill at 75 a minute. Wait a little and try again (GET /account/rate-limits says what is left).');
    // A route naming an app answers only to those with access to it (`appAccess`, one decision for every
    // door), before its body is even read: an outsider learns nothing from a validation error.
    const name = (req.params as { app?: unknown } | undefined)?.app;
    if (typeof name !== 'string' || !o.appAccess || req.routeOptions.config.ownAccessCheck) return;
    req.appAccess = await o.appAccess(account, name, req.routeOptions.config.manage === true);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.debug({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });
  // A request without a body (or with `null`) is read as `{}`, as the CLI's bodiless DELETEs and POSTs expect.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof PlatformError) {
      return reply.status(err.status).send({ id: err.id, message: err.message, ...(err.resource ? { resource: err.resource } : {}) });
    }
    if (err.validation) {
      const schema = (req.routeOptions.schema as Record<string, unknown> | undefined)?.[err.validationContext ?? 'body'];
      return reply.status(422).send({ id: 'invalid_params', message: validationMessage(err, schema) });
    }
    if (err.statusCode && err.statusCode < 500) return reply.status(err.statusCode).send({ id: 'bad_request', message: err.message });
    o.onInternalError(err);
    return reply.status(500).send({ id: 'internal_server_error', message: 'Internal server error; the platform log has the details.' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ id: 'not_found', message: `The requested API endpoint was not found: ${req.method} ${req.url.split('?')[0]}.` });
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

type Node = {
  properties?: Record<string, Node>; patternProperties?: Record<string, Node>; items?: Node; additionalProperties?: Node | boolean;
  anyOf?: Node[]; [ERROR_MESSAGE]?: string;
};

/** The schema nodes describing the value at a JSON pointer into the input and each value around it, outermost first. */
function nodesAt(root: Node | undefined, pointer: string): (Node | undefined)[] {
  const nodes = [root];
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step = (n: Node): Node | undefined =>
      n.properties?.[key] ?? (/^\d+$/.test(key) ? n.items : undefined) ?? Object.values(n.patternProperties ?? {})[0]
      ?? (typeof n.additionalProperties === 'object' ? n.additionalProperties : undefined) ?? n.anyOf?.map(step).find((x) => x !== undefined);
    node = node && step(node);
    nodes.push(node);
  }
  return nodes;
}

const WHERE: Record<string, string> = { body: 'request body', querystring: 'query string', params: 'path', headers: 'headers' };

/**
 * Heroku's invalid_params message for a schema refusal: the message the schema gives the field (the same
 * helpful words the domain checks use), else one naming the field and what it must be.
 */
export function validationMessage(err: FastifyError, schema: unknown): string {
  const first = err.validation![0]!;
  const field = (pointer: string) => pointer.split('/').slice(1).map((k) => (/^\d+$/.test(k) ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '');
  const nodes = nodesAt(schema as Node, first.instancePath);
  // The message of the innermost field that has one: a value inside a field is that field's problem.
  // `{field}` in a message names the value refused, with its place in a list (`updates[1].buildpack`).
  const said = (at: string, extra?: Node) => [...nodes, extra].reverse().find((n) => n?.[ERROR_MESSAGE])?.[ERROR_MESSAGE]?.replace('{field}', field(at));
  if (first.keyword === 'required') {
    const missing = String((first.params as { missingProperty?: string }).missingProperty);
    const own = said(`${first.instancePath}/${missing}`, nodes.at(-1)?.properties?.[missing]);
    if (own) return own;
    return `${field(`${first.instancePath}/${missing}`)} is required in the ${WHERE[err.validationContext ?? 'body']}.`;
  }
  const own = said(first.instancePath);
  if (own) return own;
  const path = field(first.instancePath);
  const anyOf = err.validation!.find((e) => e.keyword === 'anyOf' && e.instancePath === first.instancePath);
  const what = anyOf ? 'has a type or shape that is not accepted here' : first.message;
  return path ? `${path} ${what}.` : `The ${WHERE[err.validationContext ?? 'body']} ${what}.`;
}
