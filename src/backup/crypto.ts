// The archive's secrets (the key config vars are encrypted with, the operator key, the platform's TLS
// keys, add-on credentials) are never in clear in a backup: AES-256-GCM under a key derived from the
// operator's passphrase with scrypt. The manifest (every file's checksum) is the cipher's associated
// data, so a wrong passphrase and a manifest that was changed are both refused by the same check.
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';

export interface SealParams {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
}

/** scrypt's cost: 2^15 × 8 × 128 B = 32 MiB and ~0.1 s per try, as OWASP suggests for scrypt. */
const COST = { N: 1 << 15, r: 8, p: 1 };

function deriveKey(passphrase: string, salt: Buffer, c: { N: number; r: number; p: number }): Promise<Buffer> {
  if (!(c.N >= 1 << 14 && c.N <= 1 << 20 && c.r >= 1 && c.r <= 32 && c.p >= 1 && c.p <= 16)) {
    return Promise.reject(new BackupError('the archive asks for scrypt parameters out of range; it is not one this platform wrote'));
  }
  const opts: ScryptOptions = { N: c.N, r: c.r, p: c.p, maxmem: 256 * c.N * c.r + (1 << 20) };
  return new Promise((resolve, reject) => scryptCb(passphrase.normalize('NFC'), salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function seal(plain: Buffer, passphrase: string, aad: Buffer): Promise<{ params: SealParams; sealed: Buffer }> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, COST);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { sealed, params: { kdf: 'scrypt', ...COST, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') } };
}

/** Throws BackupError when the passphrase is wrong or anything covered (secrets, manifest) was changed. */
export async function open(sealed: Buffer, passphrase: string, aad: Buffer, params: SealParams): Promise<Buffer> {
  if (params?.kdf !== 'scrypt') throw new BackupError('the archive\'s secrets are sealed in a way this platform does not know');
  const key = await deriveKey(passphrase, Buffer.from(params.salt, 'base64'), params);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(params.iv, 'base64'));
  decipher.setAAD(aad);
  decipher.setAuthTag(Buffer.from(params.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(sealed), decipher.final()]);
  } catch {
    throw new BackupError('the passphrase does not open this archive (wrong passphrase, or the archive was altered): nothing was restored');
  }
}

/** A backup or restore that cannot go on; its message says why and what to do. */
export class BackupError extends Error {}
