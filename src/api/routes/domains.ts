// Domains: the app's default host (`kind: heroku`) and custom ones users add (`kind: custom`), each
// answered by the router for that app. A domain belongs to one app at a time. The DNS target a user
// points a CNAME at is the app's default host, which resolves to this platform's router. A wildcard
// domain (`*.example.com`) answers every name one label under it that no exact domain claims.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppsTable, DomainsTable } from '../../store/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, invalid, notFound } from '../errors.ts';
import { publishCerts } from './certs.ts';
import { findApp } from './common.ts';

type Params = { app: string };

const iso = (t: string) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Why a hostname cannot be added, or undefined. */
export function hostnameProblem(hostname: string, platformDomain: string): string | undefined {
  if (hostname.length > 253) return `${hostname} is longer than 253 characters.`;
  // A wildcard (`*.example.com`) covers one label under a domain of at least two.
  const wildcard = hostname.startsWith('*.');
  const name = wildcard ? hostname.slice(2) : hostname;
  const labels = name.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return wildcard
      ? `${JSON.stringify(hostname)} is not a valid wildcard domain: use * for the first label only, over a domain like example.com (*.example.com).`
      : `${JSON.stringify(hostname)} is not a valid hostname: use letters, digits and dashes in dot-separated labels, like www.example.com.`;
  }
  if (name === platformDomain || name.endsWith(`.${platformDomain}`)) {
    return `${hostname} is under this platform's app domain (${platformDomain}), where apps get their default hosts: add a domain of your own.`;
  }
  return undefined;
}

export function domainRoutes(api: FastifyInstance, d: ApiDeps): void {
  const endpoints = async (ids: (string | null)[]) => {
    const wanted = ids.filter((x): x is string => x !== null);
    if (wanted.length === 0) return new Map<string, { id: string; name: string }>();
    const rows = await d.db.selectFrom('sni_endpoints').select(['id', 'name']).where('id', 'in', wanted).execute();
    return new Map(rows.map((r) => [r.id, r]));
  };
  const show = (a: AppsTable, row: DomainsTable, sni: Map<string, { id: string; name: string }>) => ({
    acm_status: null, acm_status_reason: null, app: { id: a.id, name: a.name }, cname: row.cname,
    created_at: iso(row.created_at), updated_at: iso(row.updated_at), hostname: row.hostname, id: row.id, kind: 'custom',
    status: 'none', sni_endpoint: row.sni_endpoint_id ? sni.get(row.sni_endpoint_id) ?? null : null,
  });
  const defaultDomain = (a: AppsTable) => ({
    acm_status: null, acm_status_reason: null, app: { id: a.id, name: a.name }, cname: null,
    created_at: iso(a.created_at), updated_at: iso(a.updated_at), hostname: `${a.name}.${d.domain}`, id: a.id, kind: 'heroku',
    status: 'none', sni_endpoint: null,
  });
  const custom = (appId: string) => d.db.selectFrom('domains').selectAll().where('app_id', '=', appId).orderBy('hostname').execute();
  const find = async (a: AppsTable, key: string) => {
    const row = await d.db.selectFrom('domains').selectAll().where('app_id', '=', a.id)
      .where((eb) => eb.or([eb('id', '=', key), eb('hostname', '=', key.toLowerCase())])).executeTakeFirst();
    if (!row) throw notFound('domain', `Couldn't find domain ${key} on ${a.name}. Its domains: slipway domains -a ${a.name}.`);
    return row;
  };
  const publish = async (a: AppsTable) => {
    d.dynos.setDomains(a.id, (await custom(a.id)).map((r) => r.hostname));
    await publishCerts(d, a.id);
  };

  api.get<{ Params: Params }>('/apps/:app/domains', async (req) => {
    const a = await findApp(d, req.params.app);
    const rows = await custom(a.id);
    const sni = await endpoints(rows.map((r) => r.sni_endpoint_id));
    return [defaultDomain(a), ...rows.map((r) => show(a, r, sni))];
  });

  api.get<{ Params: Params & { domain: string } }>('/apps/:app/domains/:domain', async (req) => {
    const a = await findApp(d, req.params.app);
    if (req.params.domain === a.id || req.params.domain === `${a.name}.${d.domain}`) return defaultDomain(a);
    const row = await find(a, req.params.domain);
    return show(a, row, await endpoints([row.sni_endpoint_id]));
  });

  api.post<{ Params: Params }>('/apps/:app/domains', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const body = (req.body ?? {}) as { hostname?: unknown; sni_endpoint?: unknown };
    if (typeof body.hostname !== 'string' || !body.hostname) throw invalid('hostname is required, e.g. {"hostname": "www.example.com"}.');
    const hostname = body.hostname.trim().toLowerCase().replace(/\.$/, '');
    const problem = hostnameProblem(hostname, d.domain);
    if (problem) throw invalid(problem);
    const taken = await d.db.selectFrom('domains').innerJoin('apps', 'apps.id', 'domains.app_id').select(['apps.name']).where('domains.hostname', '=', hostname).executeTakeFirst();
    if (taken) {
      throw new ApiError(422, 'invalid_params', taken.name === a.name
        ? `${hostname} is already a domain of ${a.name}.`
        : `${hostname} is already in use by another app: remove it there first (domains:remove ${hostname} -a ${taken.name}).`);
    }
    let sniId: string | null = null;
    if (typeof body.sni_endpoint === 'string' && body.sni_endpoint) {
      const e = await d.db.selectFrom('sni_endpoints').select('id').where('app_id', '=', a.id)
        .where((eb) => eb.or([eb('id', '=', body.sni_endpoint as string), eb('name', '=', body.sni_endpoint as string)])).executeTakeFirst();
      if (!e) throw notFound('sni_endpoint', `Couldn't find SNI endpoint ${body.sni_endpoint} on ${a.name}.`);
      sniId = e.id;
    }
    const t = new Date().toISOString();
    const row: DomainsTable = { id: randomUUID(), app_id: a.id, hostname, cname: `${a.name}.${d.domain}`, sni_endpoint_id: sniId, created_at: t, updated_at: t };
    await d.db.insertInto('domains').values(row).execute();
    await publish(a);
    reply.code(201);
    return show(a, row, await endpoints([sniId]));
  });

  api.patch<{ Params: Params & { domain: string } }>('/apps/:app/domains/:domain', async (req) => {
    const a = await findApp(d, req.params.app);
    const row = await find(a, req.params.domain);
    const want = (req.body as { sni_endpoint?: unknown } | undefined)?.sni_endpoint;
    let sniId: string | null = null;
    if (typeof want === 'string' && want) {
      const e = await d.db.selectFrom('sni_endpoints').select('id').where('app_id', '=', a.id)
        .where((eb) => eb.or([eb('id', '=', want), eb('name', '=', want)])).executeTakeFirst();
      if (!e) throw notFound('sni_endpoint', `Couldn't find SNI endpoint ${want} on ${a.name}.`);
      sniId = e.id;
    } else if (want !== null && want !== undefined) {
      throw invalid('sni_endpoint must be an SNI endpoint name or null.');
    }
    row.sni_endpoint_id = sniId;
    row.updated_at = new Date().toISOString();
    await d.db.updateTable('domains').set({ sni_endpoint_id: sniId, updated_at: row.updated_at }).where('id', '=', row.id).execute();
    await publish(a);
    return show(a, row, await endpoints([sniId]));
  });

  api.delete<{ Params: Params & { domain: string } }>('/apps/:app/domains/:domain', async (req) => {
    const a = await findApp(d, req.params.app);
    if (req.params.domain === `${a.name}.${d.domain}`) throw invalid(`${req.params.domain} is the app's default domain; it goes away only with the app.`);
    const row = await find(a, req.params.domain);
    await d.db.deleteFrom('domains').where('id', '=', row.id).execute();
    await publish(a);
    return show(a, row, await endpoints([row.sni_endpoint_id]));
  });
}
