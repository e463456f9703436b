// The certificates the router serves by SNI on its TLS port: per SNI endpoint (`certs:add`), the PEM
// (chain + key) and the hostnames attached to it. Held in memory for the data path, filled and kept
// current by the platform (from the store, and by the API on every change).
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface ServedCert {
  /** The SNI endpoint's name, unique. */
  name: string;
  /** Certificate chain then private key, PEM. */
  pem: string;
  hostnames: string[];
}

export class CertTable {
  private readonly byName = new Map<string, ServedCert>();
  private readonly listeners = new Set<() => void>();

  set(cert: ServedCert): void {
    this.byName.set(cert.name, { ...cert, hostnames: [...cert.hostnames].sort() });
    this.changed();
  }

  delete(name: string): void {
    if (this.byName.delete(name)) this.changed();
  }

  all(): ServedCert[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export interface CertDetails {
  certDomains: string[];
  subject: string;
  issuer: string;
  startsAt: string;
  expiresAt: string;
  selfSigned: boolean;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Every certificate of a chain: each PEM block must parse as X.509 and nothing but whitespace may stand
 * between or around them (HAProxy reads the whole file; one bad block would make it refuse every reload).
 */
export function parseChain(chain: string): X509Certificate[] {
  const blocks = chain.match(PEM_BLOCK);
  if (!blocks) throw new Error('The certificate is not a PEM certificate (expected -----BEGIN CERTIFICATE-----).');
  if (chain.replace(PEM_BLOCK, '').trim() !== '') {
    throw new Error('The certificate chain holds text outside its -----BEGIN CERTIFICATE----- blocks; upload only the PEM certificates (the key goes separately).');
  }
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`Certificate ${i + 1} of the chain could not be read: ${(err as Error).message}. Upload the chain as PEM certificates only.`);
    }
  });
}

/**
 * Checks a certificate chain and key as `certs:add` needs them: the whole chain PEM certificates, the key
 * matching the first certificate. Returns the first certificate's details, or throws an Error a user can act on.
 */
export function inspectCertificate(chain: string, key: string): CertDetails {
  const cert = parseChain(chain)[0]!;
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`The private key could not be read (it must be an unencrypted PEM key): ${(err as Error).message}.`);
  }
  if (!cert.checkPrivateKey(privateKey)) throw new Error('The private key does not match the certificate.');
  const san = (cert.subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const cn = /CN=([^\n,]+)/.exec(cert.subject)?.[1];
  const certDomains = san.length > 0 ? san : cn ? [cn] : [];
  return {
    certDomains, subject: cert.subject.replace(/\n/g, '/'), issuer: cert.issuer.replace(/\n/g, '/'),
    startsAt: new Date(cert.validFrom).toISOString(), expiresAt: new Date(cert.validTo).toISOString(),
    selfSigned: cert.subject === cert.issuer,
  };
}
