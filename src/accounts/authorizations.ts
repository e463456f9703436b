// OAuth authorizations, as Heroku's `/oauth/authorizations`: each is a token an account uses as its API
// key (`heroku login -i` makes one with the password; `authorizations:create` makes more). A token is
// shown once, when it is made or regenerated; only its sha256 is stored, so lists show no token.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { AuthorizationsTable } from '../store/schema.ts';
import { hashKey, newKey } from './index.ts';

export type AuthorizationRow = AuthorizationsTable;

/** How many authorizations one account may hold (each login makes one; revoke old ones). */
export const AUTHORIZATIONS_PER_ACCOUNT = 200;
/** The longest life a token may be given: a year (none given: it does not expire, as Heroku's). */
const MAX_EXPIRES_IN = 365 * 24 * 3600;

export class Authorizations {
  constructor(private readonly o: { db: Db }) {}

  /** A new authorization for the account; returns it with its token (the only time the token is seen). */
  async create(accountId: string, o: { description?: string | null; expires_in?: number | null }): Promise<{ row: AuthorizationRow; token: string }> {
    const description = (o.description ?? '').slice(0, 200);
    const expiresIn = o.expires_in ?? null;
    if (expiresIn !== null && !(Number.isInteger(expiresIn) && expiresIn > 0 && expiresIn <= MAX_EXPIRES_IN)) {
      throw invalid(`expires_in must be a whole number of seconds between 1 and ${MAX_EXPIRES_IN}.`);
    }
    const t = now();
    const token = newKey();
    const row: AuthorizationRow = {
      id: randomUUID(), account_id: accountId, token_hash: hashKey(token), description,
      expires_at: expiresIn === null ? null : new Date(Date.now() + expiresIn * 1000).toISOString(), created_at: t, updated_at: t,
    };
    await this.o.db.transaction().execute(async (trx) => {
      const n = await trx.selectFrom('authorizations').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
      if (Number(n.n) >= AUTHORIZATIONS_PER_ACCOUNT) {
        throw invalid(`This account holds ${AUTHORIZATIONS_PER_ACCOUNT} authorizations, the most it may; revoke some (authorizations:revoke) first.`);
      }
      await trx.insertInto('authorizations').values(row).execute();
    });
    return { row, token };
  }

  list(accountId: string): Promise<AuthorizationRow[]> {
    return this.o.db.selectFrom('authorizations').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
  }

  /** One of the account's authorizations (another account's is not found). */
  async get(accountId: string, id: string): Promise<AuthorizationRow> {
    const row = await this.o.db.selectFrom('authorizations').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('authorization', "Couldn't find that authorization.");
    return row;
  }

  async revoke(accountId: string, id: string): Promise<AuthorizationRow> {
    const row = await this.get(accountId, id);
    await this.o.db.deleteFrom('authorizations').where('id', '=', row.id).execute();
    return row;
  }

  /** A new token for the authorization; the old one stops working at once. */
  async regenerate(accountId: string, id: string): Promise<{ row: AuthorizationRow; token: string }> {
    const row = await this.get(accountId, id);
    const token = newKey();
    const next = { ...row, token_hash: hashKey(token), updated_at: now() };
    await this.o.db.updateTable('authorizations').set({ token_hash: next.token_hash, updated_at: next.updated_at }).where('id', '=', row.id).execute();
    return { row: next, token };
  }

  async describe(accountId: string, id: string, description: string): Promise<AuthorizationRow> {
    const row = await this.get(accountId, id);
    const next = { ...row, description: description.slice(0, 200), updated_at: now() };
    await this.o.db.updateTable('authorizations').set({ description: next.description, updated_at: next.updated_at }).where('id', '=', row.id).execute();
    return next;
  }
}
