// The dashboard's one sign-in check: every way into the dashboard goes through `signIn`. Until
// accounts have passwords, the password is the account's API key and the email must be that account's.
// When passwords land (accounts/), this function calls their check instead and nothing else changes.
import { type Account, hashKey } from '../accounts/index.ts';
import type { Db } from '../store/index.ts';

/** Longest email and password looked at; longer ones are refused unread. */
export const MAX_FIELD = 1024;

/** The account `email` and `password` sign in as, or undefined (the caller says only "wrong email or password"). */
export async function signIn(db: Db, email: string, password: string): Promise<Account | undefined> {
  if (!email || !password || email.length > MAX_FIELD || password.length > MAX_FIELD) return undefined;
  const account = await db.selectFrom('accounts').select(['id', 'email']).where('api_key_hash', '=', hashKey(password)).executeTakeFirst();
  if (!account || account.email.toLowerCase() !== email.trim().toLowerCase()) return undefined;
  return account;
}
