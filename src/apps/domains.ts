// Custom domains of an app (`domains:add`): each answered by the router for that app, unique across apps,
// optionally tied to one of the app's SNI endpoints. The DNS target a user points a CNAME at is the app's
// default host, which resolves to this platform's router. A wildcard domain (`*.example.com`) answers
// every name one label under it that no exact domain claims.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { DomainsTable } from '../store/schema.ts';
import type { SniEndpoints } from './certs.ts';

export type DomainRow = DomainsTable;
type App = { id: string; name: string };

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

export interface DomainsOptions {
  db: Db;
  /** Apps' default hosts are `<app>.<domain>`. */
  domain: string;
  /** The router's Host table: an app's custom hostnames. */
  routes: { setDomains(appId: string, hostnames: string[]): void };
  certs: Pick<SniEndpoints, 'find' | 'publish'>;
  /** Told of each domain added, re-pointed or removed; must return at once (app webhooks). */
  onChange?: (action: 'create' | 'update' | 'destroy', app: App, row: DomainRow, previous?: Partial<DomainRow>) => void;
}

export class Domains {
  constructor(private readonly o: DomainsOptions) {}

  /** The app's default host, which every app has and no one adds or removes. */
  defaultHost(a: App): string {
    return `${a.name}.${this.o.domain}`;
  }

  list(a: App): Promise<DomainRow[]> {
    return this.o.db.selectFrom('domains').selectAll().where('app_id', '=', a.id).orderBy('hostname').execute();
  }

  /** A custom domain of the app by id or hostname. */
  async find(a: App, key: string): Promise<DomainRow> {
    const row = await this.o.db.selectFrom('domains').selectAll().where('app_id', '=', a.id)
      .where((eb) => eb.or([eb('id', '=', key), eb('hostname', '=', key.toLowerCase())])).executeTakeFirst();
    if (!row) throw notFound('domain', `Couldn't find domain ${key} on ${a.name}. Its domains: slipway domains -a ${a.name}.`);
    return row;
  }

  async add(a: App, rawHostname: string, sniEndpoint?: string | null): Promise<DomainRow> {
    const hostname = rawHostname.trim().toLowerCase().replace(/\.$/, '');
    const problem = hostnameProblem(hostname, this.o.domain);
    if (problem) throw invalid(problem);
    const taken = await this.o.db.selectFrom('domains').innerJoin('apps', 'apps.id', 'domains.app_id').select(['apps.name'])
      .where('domains.hostname', '=', hostname).executeTakeFirst();
    if (taken) {
      throw invalid(taken.name === a.name
        ? `${hostname} is already a domain of ${a.name}.`
        : `${hostname} is already in use by another app: remove it there first (domains:remove ${hostname} -a ${taken.name}).`);
    }
    const sniId = sniEndpoint ? (await this.o.certs.find(a, sniEndpoint)).id : null;
    const t = now();
    const row: DomainRow = { id: randomUUID(), app_id: a.id, hostname, cname: this.defaultHost(a), sni_endpoint_id: sniId, created_at: t, updated_at: t };
    await this.o.db.insertInto('domains').values(row).execute();
    await this.publish(a);
    this.o.onChange?.('create', a, row);
    return row;
  }

  /** Serves the domain with one of the app's SNI endpoints (by id or name), or with none (null). */
  async setSniEndpoint(a: App, key: string, sniEndpoint: string | null): Promise<DomainRow> {
    const row = await this.find(a, key);
    const sniId = sniEndpoint ? (await this.o.certs.find(a, sniEndpoint)).id : null;
    const updated = { ...row, sni_endpoint_id: sniId, updated_at: now() };
    await this.o.db.updateTable('domains').set({ sni_endpoint_id: sniId, updated_at: updated.updated_at }).where('id', '=', row.id).execute();
    await this.publish(a);
    this.o.onChange?.('update', a, updated, { sni_endpoint_id: row.sni_endpoint_id });
    return updated;
  }

  async remove(a: App, key: string): Promise<DomainRow> {
    if (key === this.defaultHost(a)) throw invalid(`${key} is the app's default domain; it goes away only with the app.`);
    const row = await this.find(a, key);
    await this.o.db.deleteFrom('domains').where('id', '=', row.id).execute();
    await this.publish(a);
    this.o.onChange?.('destroy', a, row);
    return row;
  }

  private async publish(a: App): Promise<void> {
    this.o.routes.setDomains(a.id, (await this.list(a)).map((r) => r.hostname));
    await this.o.certs.publish(a.id);
  }
}
