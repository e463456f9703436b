// SNI endpoints (`certs:add`): an app's uploaded certificate and key, served by the router's TLS port for
// the custom domains attached to them (domains.ts `setSniEndpoint`). The certificate is checked on upload
// (PEM, key matches) and kept in the store, the key encrypted and bound to its endpoint (`aad.sniKey`); the
// key never leaves the platform again.
import { randomInt, randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.ts';
import { aad, type Sealer } from '../releases/index.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { SniEndpointsTable } from '../store/schema.ts';

export type SniEndpointRow = SniEndpointsTable;
type App = { id: string; name: string };

const WORDS = ['akita', 'ankylosaurus', 'brachiosaurus', 'diplodocus', 'kyoto', 'nagano', 'osaka', 'sapporo', 'stegosaurus', 'tokyo', 'triceratops', 'yamagata'];

export interface SniEndpointsOptions {
  db: Db;
  /** Encrypts private keys at rest, each bound to its endpoint. */
  sealer: Sealer;
  /** The router's certificate table (served by SNI). */
  table: { set(cert: { name: string; pem: string; hostnames: string[] }): void; delete(name: string): void };
  /** Throws, naming the problem, unless `chain` is PEM certificates and `key` the first one's key. */
  check: (chain: string, key: string) => unknown;
  /** Told of each endpoint added, renewed or removed; must return at once (app webhooks). */
  onChange?: (action: 'create' | 'update' | 'destroy', endpoint: SniEndpointRow) => void;
}

export class SniEndpoints {
  constructor(private readonly o: SniEndpointsOptions) {}

  async list(a: App): Promise<SniEndpointRow[]> {
    return (await this.o.db.selectFrom('sni_endpoints').selectAll().where('app_id', '=', a.id).orderBy('created_at').execute()).map((e) => this.unseal(e));
  }

  /** A stored endpoint with its private key decrypted (every read goes through here). */
  private unseal(e: SniEndpointRow): SniEndpointRow {
    return { ...e, private_key: this.o.sealer.decrypt(e.private_key, aad.sniKey(e)) };
  }

  private seal(e: Pick<SniEndpointRow, 'id' | 'app_id'>, key: string): string {
    return this.o.sealer.encrypt(key, aad.sniKey(e));
  }

  /** One of the app's endpoints by id or name. */
  async find(a: App, key: string): Promise<SniEndpointRow> {
    const e = await this.o.db.selectFrom('sni_endpoints').selectAll().where('app_id', '=', a.id)
      .where((eb) => eb.or([eb('id', '=', key), eb('name', '=', key)])).executeTakeFirst();
    if (!e) throw notFound('sni_endpoint', `Couldn't find SNI endpoint ${key} on ${a.name}. Its certificates: slipway certs -a ${a.name}.`);
    return this.unseal(e);
  }

  /** `{id, name}` of endpoints by id (what a domain shows of its endpoint). */
  async refs(ids: (string | null)[]): Promise<Map<string, { id: string; name: string }>> {
    const wanted = ids.filter((x): x is string => x !== null);
    if (wanted.length === 0) return new Map();
    const rows = await this.o.db.selectFrom('sni_endpoints').select(['id', 'name']).where('id', 'in', wanted).execute();
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** Ids of the domains an endpoint serves. */
  async domainIds(e: SniEndpointRow): Promise<string[]> {
    return (await this.o.db.selectFrom('domains').select('id').where('sni_endpoint_id', '=', e.id).execute()).map((x) => x.id);
  }

  async add(a: App, chain: string, key: string): Promise<SniEndpointRow> {
    this.checked(chain, key);
    let name: string;
    do name = `${WORDS[randomInt(WORDS.length)]}-${randomInt(10000, 100000)}`;
    while (await this.o.db.selectFrom('sni_endpoints').select('id').where('name', '=', name).executeTakeFirst());
    const t = now();
    const row: SniEndpointRow = { id: randomUUID(), app_id: a.id, name, certificate_chain: chain, private_key: key, created_at: t, updated_at: t };
    await this.o.db.insertInto('sni_endpoints').values({ ...row, private_key: this.seal(row, key) }).execute();
    await this.publish(a.id);
    this.o.onChange?.('create', row);
    return row;
  }

  /** Replaces the endpoint's certificate and key (a renewal). */
  async update(e: SniEndpointRow, chain: string, key: string): Promise<SniEndpointRow> {
    this.checked(chain, key);
    const row = { ...e, certificate_chain: chain, private_key: key, updated_at: now() };
    await this.o.db.updateTable('sni_endpoints').set({ certificate_chain: chain, private_key: this.seal(e, key), updated_at: row.updated_at }).where('id', '=', e.id).execute();
    await this.publish(e.app_id);
    this.o.onChange?.('update', row);
    return row;
  }

  async remove(e: SniEndpointRow): Promise<void> {
    await this.o.db.deleteFrom('sni_endpoints').where('id', '=', e.id).execute();
    this.o.table.delete(e.name);
    this.o.onChange?.('destroy', e);
  }

  /** Puts the app's endpoints (every app's when none is named), with the domains now attached to each, into the router's table. */
  async publish(appId?: string): Promise<void> {
    let endpoints = this.o.db.selectFrom('sni_endpoints').selectAll();
    let domains = this.o.db.selectFrom('domains').select(['hostname', 'sni_endpoint_id']);
    if (appId !== undefined) {
      endpoints = endpoints.where('app_id', '=', appId);
      domains = domains.where('app_id', '=', appId);
    }
    const attached = await domains.execute();
    for (const e of (await endpoints.execute()).map((x) => this.unseal(x))) {
      const pem = `${e.certificate_chain.trim()}\n${e.private_key.trim()}\n`;
      this.o.table.set({ name: e.name, pem, hostnames: attached.filter((x) => x.sni_endpoint_id === e.id).map((x) => x.hostname) });
    }
  }

  private checked(chain: string, key: string): void {
    try {
      this.o.check(chain, key);
    } catch (err) {
      throw invalid((err as Error).message);
    }
  }
}
