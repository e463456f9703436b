// Log drains of an app: /apps/{app}/log-drains (list, add, show and remove by id, URL or token).
import type { FastifyInstance } from 'fastify';
import { DrainError } from '../../logs/drains/index.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import * as s from '../serialize.ts';
import { findApp } from './common.ts';

type Params = { app: string };

export function drainRoutes(api: FastifyInstance, d: ApiDeps): void {
  api.get<{ Params: Params }>('/apps/:app/log-drains', async (req) => {
    const a = await findApp(d, req.params.app);
    return (await d.drains.list(a.id)).map((row) => s.logDrain(a, row));
  });

  api.post<{ Params: Params }>('/apps/:app/log-drains', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const url = (req.body as { url?: unknown } | null)?.url;
    try {
      const row = await d.drains.add(a.id, url);
      reply.status(201);
      return s.logDrain(a, row);
    } catch (err) {
      if (err instanceof DrainError) throw invalid(err.message);
      throw err;
    }
  });

  const notThere = (key: string) => notFound('log-drain', `Couldn't find that log drain (${key}). \`drains\` lists the app's drains.`);
  api.get<{ Params: Params & { drain: string } }>('/apps/:app/log-drains/:drain', async (req) => {
    const a = await findApp(d, req.params.app);
    const row = await d.drains.find(a.id, req.params.drain);
    if (!row) throw notThere(req.params.drain);
    return s.logDrain(a, row);
  });
  api.delete<{ Params: Params & { drain: string } }>('/apps/:app/log-drains/:drain', async (req) => {
    const a = await findApp(d, req.params.app);
    const row = await d.drains.remove(a.id, req.params.drain);
    if (!row) throw notThere(req.params.drain);
    return s.logDrain(a, row);
  });
}
