// Accounts' SSH public keys (`heroku keys`, `/account/keys`): checked when added, matched by their blob
// when git connects over SSH. A key belongs to one account at a time, as on Heroku.
import { createHash, randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { Account } from './index.ts';

/** Key types git's ssh clients use and the SSH server verifies. */
export const KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'];
/** Longer than any real public key line (an RSA 16384-bit key is about 2.8 KB). */
export const MAX_KEY_TEXT = 16 * 1024;

export interface ParsedKey { type: string; blob: Buffer; comment: string }

/**
 * Reads an OpenSSH public key line (`ssh-ed25519 AAAA... user@host`): the type must be one we verify,
 * the base64 blob must name the same type inside, and the line may carry a comment. Throws a 422 saying
 * what is wrong.
 */
export function parsePublicKey(text: string): ParsedKey {
  if (text.length > MAX_KEY_TEXT) throw invalid(`The key is longer than ${MAX_KEY_TEXT} bytes; give the public key (the .pub file), not a private key.`);
  const line = text.trim();
  if (/PRIVATE KEY/.test(line)) throw invalid('That is a private key; give the public key (the .pub file) instead.');
  if (line.includes('\n')) throw invalid('Give one public key, on one line (the .pub file).');
  const [type = '', data = '', ...rest] = line.split(/[ \t]+/);
  if (!KEY_TYPES.includes(type)) throw invalid(`Unsupported key type ${JSON.stringify(type.slice(0, 40))}; give an OpenSSH public key of type ${KEY_TYPES.join(', ')}.`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw invalid('The key\'s base64 part is not valid; give the .pub file as ssh-keygen wrote it.');
  const blob = Buffer.from(data, 'base64');
  const inner = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (inner < 0 || inner + 4 > blob.length || blob.subarray(4, 4 + inner).toString('latin1') !== type) {
    throw invalid(`The key's data does not match its type ${type}; give the .pub file as ssh-keygen wrote it.`);
  }
  return { type, blob, comment: rest.join(' ').replace(/[^\x20-\x7e]/g, '').slice(0, 200) };
}

/** Heroku's fingerprint: MD5 of the key blob as colon-separated hex. */
export const md5Fingerprint = (blob: Buffer): string => createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');

export interface SshKey { id: string; email: string; public_key: string; comment: string; fingerprint: string; created_at: string; updated_at: string }

export class SshKeys {
  constructor(private readonly o: { db: Db }) {}

  async list(account: Account): Promise<SshKey[]> {
    const rows = await this.o.db.selectFrom('ssh_keys').selectAll().where('account_id', '=', account.id).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, email: account.email, public_key: `${r.public_key}${r.comment ? ` ${r.comment}` : ''}`, comment: r.comment, fingerprint: r.fingerprint, created_at: r.created_at, updated_at: r.updated_at }));
  }

  async add(account: Account, text: string): Promise<SshKey> {
    const k = parsePublicKey(text);
    const publicKey = `${k.type} ${k.blob.toString('base64')}`;
    const taken = await this.o.db.selectFrom('ssh_keys').select(['account_id']).where('public_key', '=', publicKey).executeTakeFirst();
    if (taken) throw conflict(taken.account_id === account.id ? 'This key is already on your account.' : 'This key is already in use by another account; each account needs its own key.');
    const t = now();
    const row = { id: randomUUID(), account_id: account.id, public_key: publicKey, comment: k.comment, fingerprint: md5Fingerprint(k.blob), created_at: t, updated_at: t };
    await this.o.db.insertInto('ssh_keys').values(row).execute();
    return (await this.list(account)).find((x) => x.id === row.id)!;
  }

  /** One of the account's keys, by id, fingerprint or comment; a 404 when it has none such. */
  async find(account: Account, idOrName: string): Promise<SshKey> {
    const key = (await this.list(account)).find((k) => k.id === idOrName || k.fingerprint === idOrName || k.comment === idOrName);
    if (!key) throw notFound('key', `Couldn't find that key (${idOrName.slice(0, 100)}) on your account; heroku keys lists them.`);
    return key;
  }

  /** Removes one of the account's keys, by id, fingerprint or comment. */
  async remove(account: Account, idOrName: string): Promise<SshKey> {
    const key = await this.find(account, idOrName);
    await this.o.db.deleteFrom('ssh_keys').where('id', '=', key.id).where('account_id', '=', account.id).execute();
    return key;
  }

  /** The account a key (type and blob, as an SSH client presents it) belongs to, or undefined. */
  async owner(type: string, blob: Buffer): Promise<Account | undefined> {
    return this.o.db.selectFrom('ssh_keys').innerJoin('accounts', 'accounts.id', 'ssh_keys.account_id')
      .select(['accounts.id as id', 'accounts.email as email'])
      .where('ssh_keys.public_key', '=', `${type} ${blob.toString('base64')}`)
      .where('accounts.disabled_at', 'is', null).executeTakeFirst();
  }
}
