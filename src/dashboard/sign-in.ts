// The dashboard's one sign-in check: every way into the dashboard goes through `signIn`. An account
// signs in with its email and password (accounts/: scrypt, the same check as `POST /oauth/authorizations`);
// an API key typed as the password also works, for the operator, whose account starts without one.
import { Accounts, type Account } from '../accounts/index.ts';
import type { Db } from '../store/index.ts';

/** Longest email and password looked at; longer ones are refused unread. */
export const MAX_FIELD = 1024;

/** The account `email` and `password` sign in as, or undefined (the caller says only "wrong email or password"). */
export async function signIn(db: Db, email: string, password: string): Promise<Account | undefined> {
  if (!email || !password || email.length > MAX_FIELD || password.length > MAX_FIELD) return undefined;
  const accounts = new Accounts({ db });
  const byPassword = await accounts.login(email, password);
  if (byPassword) return byPassword;
  const byKey = await accounts.byKey(password);
  if (!byKey || byKey.email.toLowerCase() !== email.trim().toLowerCase()) return undefined;
  return { id: byKey.id, email: byKey.email };
}
