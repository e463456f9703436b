// The Platform API v3 over HTTP: Fastify for the JSON routes, with git's smart HTTP, the pre-receive
// hook endpoint and log-session streams answered on the same port before Fastify sees them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GitHttp } from '../git/http.ts';
import type { PushHandler } from '../git/push.ts';
import { authenticate, type Account } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';
import { RangeError416 } from './range.ts';
import { addonBackupRoutes } from './routes/addon-backups.ts';
import { addonRoutes } from './routes/addons.ts';
import { appRoutes } from './routes/apps.ts';
import { drainRoutes } from './routes/drains.ts';
import { dynoRoutes } from './routes/dynos.ts';
import { certRoutes } from './routes/certs.ts';
import { domainRoutes } from './routes/domains.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { featureRoutes } from './routes/features.ts';
import { releaseRoutes } from './routes/releases.ts';
import { buildRoutes } from './routes/builds.ts';
import { configVarRoutes } from './routes/config-vars.ts';
import { handleRaw } from './raw.ts';

declare module 'fastify' {
  interface FastifyRequest { account: Account }
}

export interface ApiServerOptions {
  deps: ApiDeps;
  git: GitHttp;
  push: PushHandler;
  /** Where slug uploads are spooled before they enter the blob store. */
  dataDir: string;
  /** Serves GET /sessions/<id> (the logplex_url of a log session). */
  sessionStream: (req: IncomingMessage, res: ServerResponse, id: string) => void;
}

export async function createApiServer(o: ApiServerOptions) {
  const server = createServer();
  const app: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: 5 * 1024 * 1024,
    serverFactory: (handler) => {
      // Anything a client sends is answered, never thrown out of here: a fault in a handler becomes a
      // 400 (or a cut connection once the answer began), and the process goes on serving. What Node's
      // parser refuses (a bad request line, header or chunk) it answers itself (400, 431, 408).
      server.on('request', (req, res) => {
        try {
          route(req, res);
        } catch (err) {
          console.error(`api: ${req.method} request failed:`, err);
          if (res.headersSent) res.destroy();
          else res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'bad_request', message: 'The request could not be read.' }));
        }
      });
      const route = (req: IncomingMessage, res: ServerResponse) => {
        if (o.git.handle(req, res)) return;
        if (handleRaw(o.deps, o.dataDir, req, res)) return;
        const path = (req.url ?? '').split('?')[0]!;
        const session = /^\/sessions\/([0-9a-f-]{36})$/.exec(path);
        if (session && req.method === 'GET') return o.sessionStream(req, res, session[1]!);
        if (path === '/internal/hooks/pre-receive' && req.method === 'POST') {
          void o.push.handle(req, res).catch((err) => {
            console.error('push failed:', err);
            if (!res.headersSent) res.writeHead(500);
            res.end('\n !     Platform error during the push; nothing was released.\n\x001');
          });
          return;
        }
        handler(req, res);
      };
      return server;
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
      done(new ApiError(400, 'bad_request', 'Request body is not valid JSON.'), undefined);
    }
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('Request-Id', randomUUID());
    if (req.url === '/' || req.url.startsWith('/schema')) return;
    const account = await authenticate(o.deps.db, req.raw);
    if (!account) throw new ApiError(401, 'unauthorized', 'Invalid credentials provided: pass your API key as `Authorization: Bearer <key>` (slipway login stores it).');
    req.account = account;
  });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.status).send({ id: err.id, message: err.message, ...(err.resource ? { resource: err.resource } : {}) });
    }
    if (err instanceof RangeError416) return reply.status(416).send({ id: 'requested_range_not_satisfiable', message: err.message });
    if (err.statusCode && err.statusCode < 500) return reply.status(err.statusCode).send({ id: 'bad_request', message: err.message });
    console.error('api: internal error:', err);
    return reply.status(500).send({ id: 'internal_server_error', message: 'Internal server error; the platform log has the details.' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ id: 'not_found', message: `The requested API endpoint was not found: ${req.method} ${req.url.split('?')[0]}.` });
  });

  app.get('/', async () => ({ name: 'slipway', api: 'Heroku Platform API v3' }));
  app.get('/account', async (req) => account(req.account));
  app.get('/users/~', async (req) => account(req.account));
  app.get('/rendezvous/ca.pem', async (_req, reply) => reply.type('application/x-pem-file').send(o.deps.rendezvous.caPem));

  appRoutes(app, o.deps);
  releaseRoutes(app, o.deps);
  buildRoutes(app, o.deps);
  configVarRoutes(app, o.deps);
  dynoRoutes(app, o.deps);
  featureRoutes(app, o.deps);
  domainRoutes(app, o.deps);
  certRoutes(app, o.deps);
  metricsRoutes(app, o.deps);
  addonRoutes(app, o.deps);
  addonBackupRoutes(app, o.deps);
  drainRoutes(app, o.deps);
  await app.ready();
  return { server, app };
}

function account(a: Account) {
  return { id: a.id, email: a.email, name: a.email.split('@')[0], verified: true, two_factor_authentication: false, allow_tracking: false, beta: false };
}
