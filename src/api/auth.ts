// API keys: stored as sha256 hashes; presented as `Authorization: Bearer <key>` or HTTP Basic with the
// key as password (git, and `heroku`-style `:<key>`).
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

export async function authenticate(db: Db, req: IncomingMessage): Promise<Account | undefined> {
  const key = presentedKey(req);
  if (!key) return undefined;
  return db.selectFrom('accounts').select(['id', 'email']).where('api_key_hash', '=', hashKey(key)).executeTakeFirst();
}

/**
 * Makes sure the operator account exists with `key` (when given) as its key. Returns the key to print
 * when a new one was generated (first start without SLIPWAY_OPERATOR_KEY), else undefined.
 */
export async function ensureOperator(db: Db, email: string, key: string | undefined, generate: () => string): Promise<{ created: boolean; key?: string }> {
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
