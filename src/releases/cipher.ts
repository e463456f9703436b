// Config var values at rest: AES-256-GCM under a platform key kept in the data dir (`secrets/config.key`,
// mode 0600, made on first start). Stored values read `enc:v1:<iv>:<tag>:<ciphertext>` (base64), so a
// copy of the database alone reveals no value; the key file and the database together do.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const PREFIX = 'enc:v1:';
const KEY_BYTES = 32;

export class ConfigCipher {
  private constructor(private readonly key: Buffer) {}

  /** Loads the key file, or makes it (written aside and renamed, so a crash never leaves half a key). */
  static async open(file: string): Promise<ConfigCipher> {
    if (!existsSync(file)) {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, randomBytes(KEY_BYTES).toString('base64') + '\n', { mode: 0o600 });
      await rename(tmp, file);
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

  static isEncrypted(stored: string): boolean {
    return stored.startsWith(PREFIX);
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `${PREFIX}${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${body.toString('base64')}`;
  }

  /** Decrypts a stored value; a value written before encryption existed is returned as it is. */
  decrypt(stored: string): string {
    if (!ConfigCipher.isEncrypted(stored)) return stored;
    const [iv, tag, body] = stored.slice(PREFIX.length).split(':') as [string, string, string];
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
  }

  /** A whole config map, stored as one encrypted JSON document (release snapshots). */
  encryptMap(vars: Record<string, string>): string {
    return this.encrypt(JSON.stringify(vars));
  }

  decryptMap(stored: string): Record<string, string> {
    return JSON.parse(this.decrypt(stored)) as Record<string, string>;
  }

  /** An unguessable signature for a capability URL (slug blob uploads), bound to `purpose`. */
  sign(purpose: string): string {
    return createHmac('sha256', this.key).update(`url:${purpose}`).digest('base64url');
  }

  verify(purpose: string, signature: string): boolean {
    const want = Buffer.from(this.sign(purpose));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
