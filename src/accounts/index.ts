// Accounts and their API keys. Keys are stored as sha256 hashes and presented as
// `Authorization: Bearer <key>` or HTTP Basic with the key as password (git, and `heroku`-style `:<key>`).
// Every door (the API, git over HTTP) asks `authenticate` who is calling.
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';

export interface Account { id: string; email: string }

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** The key a request presents, if any. */
export function presentedKey(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const [scheme, value = ''] = h.split(/\s+/, 2) as [string, string?];
  if (/^bearer$/i.test(scheme)) return value.trim() || undefined;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return (i >= 0 ? decoded.slice(i + 1) : decoded) || undefined;
  }
  return undefined;
}

/** Shown for a user id whose account is gone. */
export const unknownUser = (id: string): Account => ({ id, email: 'unknown' });

export class Accounts {
  constructor(private readonly o: { db: Db }) {}

  /** The account whose key the request presents, or undefined. */
  async authenticate(req: IncomingMessage): Promise<Account | undefined> {
    const key = presentedKey(req);
    if (!key) return undefined;
    return this.o.db.selectFrom('accounts').select(['id', 'email']).where('api_key_hash', '=', hashKey(key)).executeTakeFirst();
  }

  /** Accounts by id, for showing who made a release or build (missing ids are `unknownUser`). */
  async users(ids: string[]): Promise<Map<string, Account>> {
    const unique = [...new Set(ids)];
    const found = unique.length === 0 ? [] : await this.o.db.selectFrom('accounts').select(['id', 'email']).where('id', 'in', unique).execute();
    const byId = new Map(found.map((r) => [r.id, r]));
    return new Map(unique.map((id) => [id, byId.get(id) ?? unknownUser(id)]));
  }

  /**
   * Makes sure the operator account exists with `key` (when given) as its key. Returns the key to print
   * when a new one was generated (first start without SLIPWAY_OPERATOR_KEY), else undefined.
   */
  async ensureOperator(email: string, key: string | undefined, generate: () => string): Promise<{ created: boolean; key?: string }> {
    const db = this.o.db;
    const existing = await db.selectFrom('accounts').select(['id', 'api_key_hash']).where('email', '=', email).executeTakeFirst();
    if (existing) {
      if (key && existing.api_key_hash !== hashKey(key)) {
        await db.updateTable('accounts').set({ api_key_hash: hashKey(key), updated_at: now() }).where('id', '=', existing.id).execute();
      }
      return { created: false };
    }
    const k = key ?? generate();
    const t = now();
    await db.insertInto('accounts').values({ id: randomUUID(), email, api_key_hash: hashKey(k), created_at: t, updated_at: t }).execute();
    return { created: true, key: k };
  }
}
