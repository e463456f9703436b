// SNI endpoints (`certs:add`): an app's certificates for its custom domains; apps/certs.ts owns them.
// The private key is never shown again.
import { Type } from 'typebox';
import type { AppRow, SniEndpointRow } from '../../apps/index.ts';
import { inspectCertificate } from '../../router/certs.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, said } from '../schemas.ts';

export type CertRouteDeps = Pick<ApiDeps, 'apps' | 'sniEndpoints'>;

const EndpointParams = Type.Object({ app: AppName, id: Type.String({ description: 'SNI endpoint id or name' }) });
const PEM_TEXT = 'certificate_chain and private_key are required, each as PEM text.';
const CertBody = Type.Object({
  certificate_chain: Type.String(said(PEM_TEXT)),
  private_key: Type.String(said(PEM_TEXT)),
}, said(PEM_TEXT));

/** An SNI endpoint as the API shows it (never its private key). */
export function sniEndpointView(d: Pick<CertRouteDeps, 'sniEndpoints'>) {
  return async (a: Pick<AppRow, 'id' | 'name'>, e: SniEndpointRow) => {
    const details = inspectCertificate(e.certificate_chain, e.private_key);
    return {
      id: e.id, name: e.name, display_name: null, certificate_chain: e.certificate_chain, app: { id: a.id, name: a.name },
      domains: await d.sniEndpoints.domainIds(e), created_at: iso(e.created_at), updated_at: iso(e.updated_at),
      ssl_cert: {
        cert_domains: details.certDomains, starts_at: details.startsAt, expires_at: details.expiresAt,
        issuer: details.issuer, subject: details.subject, acm: false, 'ca_signed?': !details.selfSigned, 'self_signed?': details.selfSigned,
      },
    };
  };
}

export function certRoutes(api: Api, d: CertRouteDeps): void {
  const show = sniEndpointView(d);

  api.get('/apps/:app/sni-endpoints', { schema: { params: AppParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return Promise.all((await d.sniEndpoints.list(a)).map((e) => show(a, e)));
  });

  api.get('/apps/:app/sni-endpoints/:id', { schema: { params: EndpointParams } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    return show(a, await d.sniEndpoints.find(a, req.params.id));
  });

  api.post('/apps/:app/sni-endpoints', { schema: { summary: 'Add a certificate and its key', params: AppParams, body: CertBody } }, async (req, reply) => {
    const a = await d.apps.find(req.params.app);
    const row = await d.sniEndpoints.add(a, req.body.certificate_chain, req.body.private_key);
    reply.code(201);
    return show(a, row);
  });

  api.patch('/apps/:app/sni-endpoints/:id', { schema: { summary: 'Replace a certificate and its key', params: EndpointParams, body: CertBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const e = await d.sniEndpoints.find(a, req.params.id);
    return show(a, await d.sniEndpoints.update(e, req.body.certificate_chain, req.body.private_key));
  });

  api.delete('/apps/:app/sni-endpoints/:id', { schema: { params: EndpointParams, body: AnyBody } }, async (req) => {
    const a = await d.apps.find(req.params.app);
    const e = await d.sniEndpoints.find(a, req.params.id);
    const shown = await show(a, e);
    await d.sniEndpoints.remove(e);
    return shown;
  });
}
