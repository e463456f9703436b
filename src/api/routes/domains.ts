// Domains: the app's default host (`kind: heroku`) and the custom ones users add (`kind: custom`);
// apps/domains.ts owns them.
import { Type } from 'typebox';
import type { AppRow, DomainRow } from '../../apps/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, Maybe, said } from '../schemas.ts';
import * as s from '../serialize.ts';

export type DomainRouteDeps = Pick<ApiDeps, 'apps' | 'domains' | 'sniEndpoints'>;

const DomainParams = Type.Object({ app: AppName, domain: Type.String({ description: 'domain id or hostname' }) });
const HOSTNAME_TEXT = 'hostname is required, e.g. {"hostname": "www.example.com"}.';
const SNI_TEXT = 'sni_endpoint must be an SNI endpoint name or null.';
const AddBody = Type.Object({
  hostname: Type.String({ minLength: 1, ...said(HOSTNAME_TEXT) }),
  sni_endpoint: Maybe(Type.String(), SNI_TEXT),
});
const UpdateBody = Type.Object({ sni_endpoint: Maybe(Type.String(), SNI_TEXT) });

export function domainRoutes(api: Api, d: DomainRouteDeps): void {
  const show = async (a: AppRow, rows: DomainRow[]) => {
    const sni = await d.sniEndpoints.refs(rows.map((r) => r.sni_endpoint_id));
    return rows.map((r) => s.domain(a, r.hostname, r, r.sni_endpoint_id ? sni.get(r.sni_endpoint_id) ?? null : null));
  };
  const defaultDomain = (a: AppRow) => s.domain(a, d.domains.defaultHost(a), null, null);

  api.get('/apps/:app/domains', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return [defaultDomain(a), ...await show(a, await d.domains.list(a))];
  });

  api.get('/apps/:app/domains/:domain', { schema: { params: DomainParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    if (req.params.domain === a.id || req.params.domain === d.domains.defaultHost(a)) return defaultDomain(a);
    return (await show(a, [await d.domains.find(a, req.params.domain)]))[0];
  });

  api.post('/apps/:app/domains', { schema: { summary: 'Add a custom domain', params: AppParams, body: AddBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const row = await d.domains.add(a, req.body.hostname, req.body.sni_endpoint);
    reply.code(201);
    return (await show(a, [row]))[0];
  });

  api.patch('/apps/:app/domains/:domain', { schema: { summary: "Attach an SNI endpoint to a domain (null detaches)", params: DomainParams, body: UpdateBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await show(a, [await d.domains.setSniEndpoint(a, req.params.domain, req.body.sni_endpoint ?? null)]))[0];
  });

  api.delete('/apps/:app/domains/:domain', { schema: { params: DomainParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return (await show(a, [await d.domains.remove(a, req.params.domain)]))[0];
  });
}
