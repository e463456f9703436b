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

const OPERATOR = 'operator_account';

/** A start refused because of the operator settings (the message says what to change). */
export class OperatorError extends Error {}

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
   * Makes sure the operator account exists as `email` with `key` (when given) as its key, and that only
   * it holds the operator's key. The operator's account id is recorded; when SLIPWAY_OPERATOR_EMAIL
   * changes, the operator account takes the new email (or, when an account with that email exists, that
   * account becomes the operator) and gets a new key: the old operator's key stops working. Returns the
   * key to show when one was generated (first start, or a change without SLIPWAY_OPERATOR_KEY), and the
   * email it replaced.
   */
  async ensureOperator(email: string, key: string | undefined, generate: () => string): Promise<{ created: boolean; key?: string; replaced?: string }> {
    return this.o.db.transaction().execute(async (trx) => {
      const t = now();
      const record = async (id: string) => {
        await trx.insertInto('platform_state').values({ name: OPERATOR, value: id, updated_at: t })
          .onConflict((oc) => oc.column('name').doUpdateSet({ value: id, updated_at: t })).execute();
      };
      const byEmail = await trx.selectFrom('accounts').select(['id', 'email', 'api_key_hash']).where('email', '=', email).executeTakeFirst();
      const recorded = await trx.selectFrom('platform_state').select('value').where('name', '=', OPERATOR).executeTakeFirst();
      // A data dir from before the record: the operator was the account with the configured email, else
      // the first account (the platform made no other kind then).
      const operator = recorded
        ? await trx.selectFrom('accounts').select(['id', 'email', 'api_key_hash']).where('id', '=', recorded.value).executeTakeFirst()
        : byEmail ?? await trx.selectFrom('accounts').select(['id', 'email', 'api_key_hash']).orderBy('created_at').limit(1).executeTakeFirst();
      if (!operator) {
        const k = key ?? generate();
        const id = randomUUID();
        await trx.insertInto('accounts').values({ id, email, api_key_hash: hashKey(k), created_at: t, updated_at: t }).execute();
        await record(id);
        return { created: true, key: k };
      }
      if (!recorded) await record(operator.id);
      if (operator.email === email) {
        if (key && operator.api_key_hash !== hashKey(key)) {
          await trx.updateTable('accounts').set({ api_key_hash: hashKey(key), updated_at: t }).where('id', '=', operator.id).execute();
        }
        return { created: false };
      }
      if (key && hashKey(key) === operator.api_key_hash) {
        throw new OperatorError(`SLIPWAY_OPERATOR_EMAIL changed from ${operator.email} to ${email}, but SLIPWAY_OPERATOR_KEY is still the previous operator's key. Set a new key, or unset it to have one made: the previous operator's key must stop working.`);
      }
      const k = key ?? generate();
      if (byEmail) {
        // That account becomes the operator; the previous operator's key is replaced by one nobody knows.
        await trx.updateTable('accounts').set({ api_key_hash: hashKey(randomUUID() + randomUUID()), updated_at: t }).where('id', '=', operator.id).execute();
        await trx.updateTable('accounts').set({ api_key_hash: hashKey(k), updated_at: t }).where('id', '=', byEmail.id).execute();
        await record(byEmail.id);
      } else {
        await trx.updateTable('accounts').set({ email, api_key_hash: hashKey(k), updated_at: t }).where('id', '=', operator.id).execute();
      }
      return { created: false, key: key ? undefined : k, replaced: operator.email };
    });
  }
}
