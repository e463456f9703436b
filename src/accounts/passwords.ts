// Passwords, stored as scrypt (node:crypto) with a random salt and the cost in the stored text, so a
// later raise of the cost still reads old hashes. Checking runs the same work for an unknown account
// (against a fixed dummy hash), so the time taken does not tell which emails exist.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, o: ScryptOptions) => new Promise<Buffer>((resolve, reject) => {
  scryptCb(password, salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key)));
});

/** scrypt's cost: N=2^15, r=8, p=1 (about 32 MiB and tens of ms per check). */
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEYLEN = 32;
const maxmem = 64 * 1024 * 1024;

/** The shortest and longest password taken (a longer one is refused, not silently cut). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

/** What is wrong with a new password, or undefined. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'password must be a string.';
  if (password.length < PASSWORD_MIN) return `The password must be at least ${PASSWORD_MIN} characters long.`;
  if (password.length > PASSWORD_MAX) return `The password must be at most ${PASSWORD_MAX} characters long.`;
  return undefined;
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { ...COST, maxmem });
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

let dummy: Promise<string> | undefined;

/** Whether `password` matches `stored` (undefined or null: no account; the work is done anyway). */
export async function checkPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const text = stored ?? await (dummy ??= hashPassword(randomBytes(16).toString('hex')));
  const [kind, n, r, p, salt, hash] = text.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const N = Number(n);
  const cost = { N, r: Number(r), p: Number(p) };
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || !(cost.r >= 1 && cost.r <= 32) || !(cost.p >= 1 && cost.p <= 4)) return false;
  const key = await scrypt(password.slice(0, PASSWORD_MAX), Buffer.from(salt, 'base64'), expected.length, { ...cost, maxmem: 256 * 1024 * 1024 });
  return stored != null && key.length === expected.length && timingSafeEqual(key, expected);
}
