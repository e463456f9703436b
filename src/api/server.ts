// The Platform API v3 over HTTP: Fastify for the JSON routes (http.ts sets it up), with git's smart HTTP,
// the pre-receive hook endpoint and log-session streams answered on the same port before Fastify sees them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { GitHttp } from '../git/http.ts';
import type { PushHandler } from '../git/push.ts';
import type { ApiDeps } from './deps.ts';
import { createHttpApi, type Api } from './http.ts';
import { handleRaw } from './raw.ts';
import { addonBackupRoutes } from './routes/addon-backups.ts';
import { addonCatalogRoutes } from './routes/addon-catalog.ts';
import { addonDataRoutes } from './routes/addon-data.ts';
import { addonRoutes } from './routes/addons.ts';
import { appRoutes } from './routes/apps.ts';
import { buildRoutes } from './routes/builds.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { certRoutes } from './routes/certs.ts';
import { configVarRoutes } from './routes/config-vars.ts';
import { domainRoutes } from './routes/domains.ts';
import { drainRoutes } from './routes/drains.ts';
import { dynoRoutes } from './routes/dynos.ts';
import { featureRoutes } from './routes/features.ts';
import { keyRoutes } from './routes/keys.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { releaseRoutes } from './routes/releases.ts';
import { accountRoutes } from './routes/account.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export interface ApiServerOptions {
  deps: ApiDeps;
  git: GitHttp;
  push: PushHandler;
  /** Where slug uploads are spooled before they enter the blob store. */
  dataDir: string;
  /** Serves GET /sessions/<id> (the logplex_url of a log session). */
  sessionStream: (req: IncomingMessage, res: ServerResponse, id: string) => void;
  /** Where an unexpected error in a route (a 500) is reported (default: the API's log, at error). */
  onInternalError?: (err: Error) => void;
  /** The platform's log; Fastify logs through it, each request's lines with its `request_id`. */
  logger?: Logger;
}

export async function createApiServer(o: ApiServerOptions) {
  const server = createServer();
  const logger = componentLogger(o.logger, 'api');
  const app = await createHttpApi({
    authenticate: (req) => o.deps.accounts.authenticate(req),
    onInternalError: o.onInternalError ?? ((err) => logger.error({ err }, 'internal error')),
    logger,
    serverFactory: (handler) => {
      // Anything a client sends is answered, never thrown out of here: a fault in a handler becomes a
      // 400 (or a cut connection once the answer began), and the process goes on serving. What Node's
      // parser refuses (a bad request line, header or chunk) it answers itself (400, 431, 408).
      server.on('request', (req, res) => {
        try {
          route(req, res);
        } catch (err) {
          logger.error({ err, method: req.method }, 'request failed');
          if (res.headersSent) res.destroy();
          else res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'bad_request', message: 'The request could not be read.' }));
        }
      });
      const route = (req: IncomingMessage, res: ServerResponse) => {
        if (o.git.handle(req, res)) return;
        if (handleRaw(o.deps, o.dataDir, req, res, logger)) return;
        const path = (req.url ?? '').split('?')[0]!;
        const session = /^\/sessions\/([0-9a-f-]{36})$/.exec(path);
        if (session && req.method === 'GET') return o.sessionStream(req, res, session[1]!);
        if (path === '/internal/hooks/pre-receive' && req.method === 'POST') {
          void o.push.handle(req, res).catch((err) => {
            logger.error({ err }, 'push failed');
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
  registerRoutes(app, o.deps);
  await app.ready();
  return { server, app };
}

/** Every route of the API, each file given the components it serves. */
export function registerRoutes(app: Api, d: ApiDeps): void {
  accountRoutes(app, d);
  appRoutes(app, d);
  releaseRoutes(app, d);
  buildRoutes(app, d);
  configVarRoutes(app, d);
  dynoRoutes(app, d);
  featureRoutes(app, d);
  domainRoutes(app, d);
  certRoutes(app, d);
  metricsRoutes(app, d);
  addonCatalogRoutes(app);
  addonRoutes(app, d);
  addonDataRoutes(app, d);
  addonBackupRoutes(app, d);
  drainRoutes(app, d);
  catalogRoutes(app, d);
  keyRoutes(app, d);
}
