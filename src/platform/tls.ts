// The platform's own TLS material, made once with openssl in the data dir: a local CA and a server
// certificate it signs, for the `run` rendezvous (the heroku CLI verifies it; point NODE_EXTRA_CA_CERTS
// at ca.pem). Remade when the names it must cover change.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsMaterial { caFile: string; key: string; cert: string }

export async function ensureServerCert(dir: string, names: string[]): Promise<TlsMaterial> {
  const want = [...new Set(names)].sort().join(',');
  const done = join(dir, 'names');
  if (!existsSync(done) || (await readFile(done, 'utf8')) !== want) {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true, mode: 0o700 });
    const caKey = join(dir, 'ca.key');
    const caPem = join(dir, 'ca.pem');
    // Keep an existing CA, so clients that already trust it keep working after a rename.
    if (existsSync(caKey) && existsSync(caPem)) {
      await writeFile(join(tmp, 'ca.key'), await readFile(caKey), { mode: 0o600 });
      await writeFile(join(tmp, 'ca.pem'), await readFile(caPem));
    } else {
      await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650', '-subj', '/CN=Slipway local CA',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout', join(tmp, 'ca.key'), '-out', join(tmp, 'ca.pem')]);
    }
    const san = names.map((n) => (/^[\d.]+$/.test(n) || n.includes(':') ? `IP:${n}` : `DNS:${n}`)).join(',');
    await writeFile(join(tmp, 'ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
    await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', join(tmp, 'server.key'), '-out', join(tmp, 'server.csr')]);
    await run('openssl', ['x509', '-req', '-sha256', '-days', '825', '-in', join(tmp, 'server.csr'), '-CA', join(tmp, 'ca.pem'),
      '-CAkey', join(tmp, 'ca.key'), '-CAcreateserial', '-extfile', join(tmp, 'ext.cnf'), '-out', join(tmp, 'server.pem')]);
    await writeFile(join(tmp, 'names'), want);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }
  return { caFile: join(dir, 'ca.pem'), key: await readFile(join(dir, 'server.key'), 'utf8'), cert: await readFile(join(dir, 'server.pem'), 'utf8') };
}
