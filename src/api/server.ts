// The Platform API v3 over HTTP: Fastify for the JSON routes (http.ts sets it up), with git's smart HTTP,
// the pre-receive hook endpoint and log-session streams answered on the same port before Fastify sees them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Account } from '../accounts/index.ts';
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
import { appSummaryRoutes } from './routes/app-summaries.ts';
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
import { oauthRoutes } from './routes/oauth.ts';
import { teamRoutes } from './routes/teams.ts';
import { appSetupRoutes } from './routes/app-setups.ts';
import { pipelineRoutes } from './routes/pipelines.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { schedulerRoutes } from './routes/scheduler.ts';
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
  /**
   * The web dashboard: answers its own pages and assets first, and its session (cookie, CSRF token,
   * same origin) is the API's other credential, tried when no valid key is presented.
   */
  dashboard?: {
    handle(req: IncomingMessage, res: ServerResponse): boolean;
    authenticate(req: IncomingMessage): Promise<Account | undefined>;
  };
  /** The platform's own health paths (/healthz, /readyz, /metrics), answered before the key check. */
  health?: { handle(req: IncomingMessage, res: ServerResponse): boolean };
  /** Every request answered on the port (API, git, health), for the platform's metrics. */
  onAnswered?: (method: string, status: number, seconds: number) => void;
}

export async function createApiServer(o: ApiServerOptions) {
  const server = createServer();
  const logger = componentLogger(o.logger, 'api');
  const app = await createHttpApi({
    authenticate: async (req) => (await o.deps.accounts.authenticate(req)) ?? (req.headers.authorization ? undefined : o.dashboard?.authenticate(req)),
    appAccess: (account, app, manage) => o.deps.access.appFor(account, app, manage),
    rateLimiter: o.deps.rateLimiter,
    onInternalError: o.onInternalError ?? ((err) => logger.error({ err }, 'internal error')),
    logger,
    serverFactory: (handler) => {
      // Anything a client sends is answered, never thrown out of here: a fault in a handler becomes a
      // 400 (or a cut connection once the answer began), and the process goes on serving. What Node's
      // parser refuses (a bad request line, header or chunk) it answers itself (400, 431, 408).
      server.on('request', (req, res) => {
        if (o.onAnswered) {
          const began = process.hrtime.bigint();
          res.once('finish', () => o.onAnswered!(req.method ?? '', res.statusCode, Number(process.hrtime.bigint() - began) / 1e9));
        }
        try {
          route(req, res);
        } catch (err) {
          logger.error({ err, method: req.method }, 'request failed');
          if (res.headersSent) res.destroy();
          else res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'bad_request', message: 'The request could not be read.' }));
        }
      });
      const route = (req: IncomingMessage, res: ServerResponse) => {
        if (o.health?.handle(req, res)) return;
        if (o.git.handle(req, res)) return;
        if (o.dashboard?.handle(req, res)) return;
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
  oauthRoutes(app, d);
  teamRoutes(app, d);
  appRoutes(app, d);
  appSummaryRoutes(app, d);
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
  appSetupRoutes(app, d);
  pipelineRoutes(app, d);
  webhookRoutes(app, d);
  schedulerRoutes(app, d);
  catalogRoutes(app, d);
  keyRoutes(app, d);
}
