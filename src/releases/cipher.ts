// The platform's secrets at rest: config vars, release snapshots, add-on credentials, SNI private keys
// and drain URLs are AES-256-GCM ciphertexts under keys derived (HKDF-SHA256) from one 32-byte platform
// secret kept in the data dir (`secrets/config.key`, mode 0600, made on first start): one key encrypts,
// another signs capability URLs, so neither use can stand in for the other. Each ciphertext carries its
// row's identity as associated data (`aad` below: the table, the app's id and the row's name or key), so
// a value copied onto another row, or another app's, fails to decrypt instead of being read there.
// Stored values read `enc:v2:<iv>:<tag>:<ciphertext>` (base64): a copy of the database alone reveals no
// value; the key file and the database together do. `enc:v1:` (the raw secret as key, no associated data)
// and plain values are what older versions stored; only the one-time migration (secrets-migration.ts)
// reads them.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const PREFIX = 'enc:v2:';
const LEGACY_PREFIX = 'enc:v1:';
const KEY_BYTES = 32;

/** The associated data of each kind of stored secret: where it lives, so it reads nowhere else. */
export const aad = {
  configVar: (appId: string, key: string) => `config_vars:${appId}:${key}`,
  releaseConfig: (r: { app_id: string; id: string }) => `releases:${r.app_id}:${r.id}`,
  addon: (r: { app_id: string; id: string }, column: 'config' | 'resource') => `addons:${r.app_id}:${r.id}:${column}`,
  sniKey: (r: { app_id: string; id: string }) => `sni_endpoints:${r.app_id}:${r.id}:private_key`,
  drainUrl: (r: { app_id: string; id: string }) => `log_drains:${r.app_id}:${r.id}:url`,
};

/** What components that store secrets need (logs and add-ons take this, not the class). */
export interface Sealer {
  encrypt(plain: string, aad: string): string;
  decrypt(stored: string, aad: string): string;
}

/** A stored value that did not decrypt: tampered, moved from another row, or under another key. */
export class SecretError extends Error {}

export class ConfigCipher implements Sealer {
  private readonly encKey: Buffer;
  private readonly signKey: Buffer;

  private constructor(private readonly secret: Buffer) {
    this.encKey = derive(secret, 'slipway encryption at rest v2');
    this.signKey = derive(secret, 'slipway capability url signing v2');
  }

  /** Loads the secret file, or makes it (written aside and linked into place, so a crash never leaves half a key). */
  static async open(file: string): Promise<ConfigCipher> {
    if (!existsSync(file)) {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600 });
      // Linked, not renamed: of two platform processes making it at once (a shared key), the first wins.
      await link(tmp, file).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
      await rm(tmp, { force: true });
    }
    await chmod(file, 0o600);
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== KEY_BYTES) throw new Error(`${file} is not a config key (expected ${KEY_BYTES} bytes, base64); restore it from a backup.`);
    return new ConfigCipher(key);
  }

  /** For tests of pure logic. */
  static fromKey(key: Buffer): ConfigCipher {
    return new ConfigCipher(key);
  }

  /** Whether `stored` is in the current format (what the migration leaves everywhere). */
  static isEncrypted(stored: string): boolean {
    return stored.startsWith(PREFIX);
  }

  encrypt(plain: string, aad: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.encKey, iv);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${PREFIX}${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${body.toString('base64')}`;
  }

  /** Decrypts a value stored for the row `aad` names; anything else (another row's, tampered, old format) throws SecretError. */
  decrypt(stored: string, aad: string): string {
    if (!ConfigCipher.isEncrypted(stored)) throw new SecretError(`a stored secret of ${aad} is not encrypted in the current format`);
    return open(this.encKey, stored.slice(PREFIX.length), aad);
  }

  /** A whole config map, stored as one encrypted JSON document (release snapshots). */
  encryptMap(vars: Record<string, string>, aad: string): string {
    return this.encrypt(JSON.stringify(vars), aad);
  }

  decryptMap(stored: string, aad: string): Record<string, string> {
    return JSON.parse(this.decrypt(stored, aad)) as Record<string, string>;
  }

  /** For the migration only: a value as older versions stored it (`enc:v1:` under the raw secret, or plain). */
  decryptLegacy(stored: string): string {
    if (!stored.startsWith(LEGACY_PREFIX)) return stored;
    return open(this.secret, stored.slice(LEGACY_PREFIX.length), undefined);
  }

  /** An unguessable signature for a capability URL (slug blob uploads), bound to `purpose`. */
  sign(purpose: string): string {
    return createHmac('sha256', this.signKey).update(`url:${purpose}`).digest('base64url');
  }

  verify(purpose: string, signature: string): boolean {
    const want = Buffer.from(this.sign(purpose));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

function derive(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, KEY_BYTES));
}

function open(key: Buffer, body: string, aad: string | undefined): string {
  const [iv, tag, data] = body.split(':') as [string, string?, string?];
  try {
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    if (aad !== undefined) d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(tag ?? '', 'base64'));
    return Buffer.concat([d.update(Buffer.from(data ?? '', 'base64')), d.final()]).toString('utf8');
  } catch {
    throw new SecretError(`a stored secret${aad ? ` of ${aad}` : ''} does not decrypt: it was altered, belongs to another row, or was made with another platform key`);
  }
}
