// Accounts and their API keys. Keys are stored as sha256 hashes and presented as
// `Authorization: Bearer <key>` or HTTP Basic with the key as password (git, and `heroku`-style `:<key>`).
// Every door (the API, git over HTTP) asks `authenticate` who is calling. A key is either an OAuth
// authorization's token (authorizations.ts: `heroku login`, `authorizations:create`) or an account's own
// key (the operator's). The operator makes the other accounts (`POST /accounts`); they log in with a
// password (passwords.ts), and a disabled account's keys and password stop working.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { invalid, notFound, PlatformError } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { isUniqueViolation, now } from '../store/index.ts';
import type { AccountsTable } from '../store/schema.ts';
import { checkPassword, hashPassword, passwordProblem } from './passwords.ts';

export type AccountRow = AccountsTable;

/** What is wrong with an email given for a new account, or undefined. */
export function emailProblem(email: unknown): string | undefined {
  if (typeof email !== 'string' || email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
    return 'email must be an email address, e.g. "dev@example.com".';
  }
  return undefined;
}

export interface Account {
  id: string;
  email: string;
  /** The OAuth authorization whose token the request presented (undefined: the account's own key). */
  authorizationId?: string;
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Keys are found by their sha256 (an index lookup: a key is 256 random bits, so the time the lookup
 * takes tells nothing about any stored key); the hash found is still compared in constant time.
 */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** A new secret for a key or token: 256 random bits, as `HRKU-` + 43 base64url characters. */
export const newKey = () => `HRKU-${randomBytes(32).toString('base64url')}`;

/** The longest key looked up (anything longer is refused before hashing). */
const KEY_MAX = 256;

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
    return key ? this.byKey(key) : undefined;
  }

  /** The enabled account a key belongs to (an unexpired authorization's token, or the account's own key). */
  async byKey(key: string): Promise<Account | undefined> {
    if (key.length > KEY_MAX) return undefined;
    const h = hashKey(key);
    const auth = await this.o.db.selectFrom('authorizations').innerJoin('accounts', 'accounts.id', 'authorizations.account_id')
      .select(['accounts.id', 'accounts.email', 'accounts.disabled_at', 'authorizations.id as auth_id', 'authorizations.token_hash', 'authorizations.expires_at'])
      .where('authorizations.token_hash', '=', h).executeTakeFirst();
    if (auth && sameHash(auth.token_hash, h)) {
      if (auth.disabled_at || (auth.expires_at && auth.expires_at <= now())) return undefined;
      return { id: auth.id, email: auth.email, authorizationId: auth.auth_id };
    }
    const own = await this.o.db.selectFrom('accounts').select(['id', 'email', 'api_key_hash', 'disabled_at']).where('api_key_hash', '=', h).executeTakeFirst();
    if (!own || own.disabled_at || !sameHash(own.api_key_hash, h)) return undefined;
    return { id: own.id, email: own.email };
  }

  /** The enabled account with this email and password, or undefined (the same work either way). */
  async login(email: string, password: string): Promise<Account | undefined> {
    const row = await this.o.db.selectFrom('accounts').select(['id', 'email', 'password_hash', 'disabled_at'])
      .where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
    const ok = await checkPassword(password, row?.password_hash);
    return ok && row && !row.disabled_at ? { id: row.id, email: row.email } : undefined;
  }

  /** The operator's account id (the operator administers every app). */
  async operatorId(): Promise<string | undefined> {
    return (await this.o.db.selectFrom('platform_state').select('value').where('name', '=', OPERATOR).executeTakeFirst())?.value;
  }

  async isOperator(accountId: string): Promise<boolean> {
    return (await this.operatorId()) === accountId;
  }

  /** A new account that logs in with `password` (the operator makes accounts: POST /accounts). */
  async create(email: string, password: string): Promise<AccountRow> {
    const problem = emailProblem(email) ?? passwordProblem(password);
    if (problem) throw invalid(problem);
    const t = now();
    const row = {
      id: randomUUID(), email: email.trim().toLowerCase(), api_key_hash: hashKey(newKey()), password_hash: await hashPassword(password),
      name: null, disabled_at: null, created_at: t, updated_at: t,
    };
    try {
      await this.o.db.insertInto('accounts').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw invalid(`An account with the email ${row.email} already exists.`);
      throw err;
    }
    return row;
  }

  /** Every account, oldest first (for the operator). */
  list(): Promise<AccountRow[]> {
    return this.o.db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
  }

  /** An account by id or email; a 404 when there is none. */
  async find(idOrEmail: string): Promise<AccountRow> {
    const key = idOrEmail.trim().toLowerCase();
    const row = await this.o.db.selectFrom('accounts').selectAll().where((eb) => eb.or([eb('id', '=', key), eb('email', '=', key)])).executeTakeFirst();
    if (!row) throw notFound('user', "Couldn't find that user.");
    return row;
  }

  /** Disables (or enables again) an account; the operator's own account cannot be disabled. */
  async setDisabled(a: AccountRow, disabled: boolean): Promise<AccountRow> {
    if (disabled && await this.isOperator(a.id)) throw invalid("The operator's account cannot be disabled; change SLIPWAY_OPERATOR_EMAIL to hand the platform to another account first.");
    const t = now();
    const disabled_at = disabled ? (a.disabled_at ?? t) : null;
    await this.o.db.updateTable('accounts').set({ disabled_at, updated_at: t }).where('id', '=', a.id).execute();
    return { ...a, disabled_at, updated_at: t };
  }

  /** Changes the account's name, or its password (the current one must be given, if it has one). */
  async update(a: AccountRow, o: { name?: string; password?: string; new_password?: string }): Promise<AccountRow> {
    const next = { ...a, updated_at: now() };
    if (o.name !== undefined) {
      if (o.name.length > 100) throw invalid('name must be at most 100 characters.');
      next.name = o.name;
    }
    if (o.new_password !== undefined) {
      const problem = passwordProblem(o.new_password);
      if (problem) throw invalid(problem);
      // An account without a password yet (the operator's) sets its first one with its key alone.
      if (a.password_hash !== null && (typeof o.password !== 'string' || !(await checkPassword(o.password, a.password_hash)))) {
        throw new PlatformError(403, 'forbidden', 'To change the password, give the current one as "password" (and the new one as "new_password").');
      }
      next.password_hash = await hashPassword(o.new_password);
    }
    await this.o.db.updateTable('accounts').set({ name: next.name, password_hash: next.password_hash, updated_at: next.updated_at }).where('id', '=', a.id).execute();
    return next;
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
        await trx.insertInto('accounts').values({ id, email, api_key_hash: hashKey(k), password_hash: null, name: null, disabled_at: null, created_at: t, updated_at: t }).execute();
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
