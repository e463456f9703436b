// SNI endpoints (`certs:add`): an app's uploaded certificate and key, served by the router's TLS port
// for the custom domains attached to it (PATCH /apps/A/domains/H {sni_endpoint}). The certificate is
// checked on upload (PEM, key matches); the key never leaves the API again.
import { randomInt, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { aad } from '../../releases/index.ts';
import { inspectCertificate } from '../../router/certs.ts';
import type { AppsTable, SniEndpointsTable } from '../../store/schema.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, notFound } from '../errors.ts';
import { findApp } from './common.ts';

type Params = { app: string };

const iso = (t: string) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const WORDS = ['akita', 'ankylosaurus', 'brachiosaurus', 'diplodocus', 'kyoto', 'nagano', 'osaka', 'sapporo', 'stegosaurus', 'tokyo', 'triceratops', 'yamagata'];

/** A stored endpoint with its private key decrypted (stored encrypted, bound to the endpoint). */
export const unsealEndpoint = (d: Pick<ApiDeps, 'cipher'>, e: SniEndpointsTable): SniEndpointsTable => ({ ...e, private_key: d.cipher.decrypt(e.private_key, aad.sniKey(e)) });
const sealKey = (d: ApiDeps, e: Pick<SniEndpointsTable, 'id' | 'app_id'>, key: string) => d.cipher.encrypt(key, aad.sniKey(e));

/** Puts the app's endpoints, with the domains now attached to each, into the router's table. */
export async function publishCerts(d: ApiDeps, appId: string): Promise<void> {
  const endpoints = (await d.db.selectFrom('sni_endpoints').selectAll().where('app_id', '=', appId).execute()).map((e) => unsealEndpoint(d, e));
  const domains = await d.db.selectFrom('domains').select(['hostname', 'sni_endpoint_id']).where('app_id', '=', appId).execute();
  for (const e of endpoints) {
    const pem = `${e.certificate_chain.trim()}\n${e.private_key.trim()}\n`;
    d.certs.set({ name: e.name, pem, hostnames: domains.filter((x) => x.sni_endpoint_id === e.id).map((x) => x.hostname) });
  }
}

export function certRoutes(api: FastifyInstance, d: ApiDeps): void {
  const show = async (a: AppsTable, e: SniEndpointsTable) => {
    const details = inspectCertificate(e.certificate_chain, e.private_key);
    const domains = await d.db.selectFrom('domains').select('id').where('sni_endpoint_id', '=', e.id).execute();
    return {
      id: e.id, name: e.name, display_name: null, certificate_chain: e.certificate_chain, app: { id: a.id, name: a.name },
      domains: domains.map((x) => x.id), created_at: iso(e.created_at), updated_at: iso(e.updated_at),
      ssl_cert: {
        cert_domains: details.certDomains, starts_at: details.startsAt, expires_at: details.expiresAt,
        issuer: details.issuer, subject: details.subject, acm: false, 'ca_signed?': !details.selfSigned, 'self_signed?': details.selfSigned,
      },
    };
  };
  const find = async (a: AppsTable, key: string) => {
    const e = await d.db.selectFrom('sni_endpoints').selectAll().where('app_id', '=', a.id)
      .where((eb) => eb.or([eb('id', '=', key), eb('name', '=', key)])).executeTakeFirst();
    if (!e) throw notFound('sni_endpoint', `Couldn't find SNI endpoint ${key} on ${a.name}. Its certificates: slipway certs -a ${a.name}.`);
    return unsealEndpoint(d, e);
  };
  const body = (raw: unknown) => {
    const b = (raw ?? {}) as { certificate_chain?: unknown; private_key?: unknown };
    if (typeof b.certificate_chain !== 'string' || typeof b.private_key !== 'string') {
      throw invalid('certificate_chain and private_key are required, each as PEM text.');
    }
    try {
      inspectCertificate(b.certificate_chain, b.private_key);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    return { chain: b.certificate_chain, key: b.private_key };
  };

  api.get<{ Params: Params }>('/apps/:app/sni-endpoints', async (req) => {
    const a = await findApp(d, req.params.app);
    const rows = await d.db.selectFrom('sni_endpoints').selectAll().where('app_id', '=', a.id).orderBy('created_at').execute();
    return Promise.all(rows.map((e) => show(a, unsealEndpoint(d, e))));
  });

  api.get<{ Params: Params & { id: string } }>('/apps/:app/sni-endpoints/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    return show(a, await find(a, req.params.id));
  });

  api.post<{ Params: Params }>('/apps/:app/sni-endpoints', async (req, reply) => {
    const a = await findApp(d, req.params.app);
    const { chain, key } = body(req.body);
    let name: string;
    do name = `${WORDS[randomInt(WORDS.length)]}-${randomInt(10000, 100000)}`;
    while (await d.db.selectFrom('sni_endpoints').select('id').where('name', '=', name).executeTakeFirst());
    const t = new Date().toISOString();
    const row: SniEndpointsTable = { id: randomUUID(), app_id: a.id, name, certificate_chain: chain, private_key: key, created_at: t, updated_at: t };
    await d.db.insertInto('sni_endpoints').values({ ...row, private_key: sealKey(d, row, key) }).execute();
    await publishCerts(d, a.id);
    reply.code(201);
    return show(a, row);
  });

  api.patch<{ Params: Params & { id: string } }>('/apps/:app/sni-endpoints/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const e = await find(a, req.params.id);
    const { chain, key } = body(req.body);
    e.certificate_chain = chain;
    e.private_key = key;
    e.updated_at = new Date().toISOString();
    await d.db.updateTable('sni_endpoints').set({ certificate_chain: chain, private_key: sealKey(d, e, key), updated_at: e.updated_at }).where('id', '=', e.id).execute();
    await publishCerts(d, a.id);
    return show(a, e);
  });

  api.delete<{ Params: Params & { id: string } }>('/apps/:app/sni-endpoints/:id', async (req) => {
    const a = await findApp(d, req.params.app);
    const e = await find(a, req.params.id);
    const shown = await show(a, e);
    await d.db.deleteFrom('sni_endpoints').where('id', '=', e.id).execute();
    d.certs.delete(e.name);
    return shown;
  });
}
