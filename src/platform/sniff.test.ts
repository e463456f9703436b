import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { plainAndTls } from './sniff.ts';
import { ensureServerCert } from './tls.ts';

const run = promisify(execFile);

describe('one port, plain HTTP and TLS', () => {
  let dir: string;
  let port: number;
  let ca: string;
  const errors: string[] = [];
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(`${(req.socket as { encrypted?: boolean }).encrypted ? 'tls' : 'plain'} ${req.method}`));
  });
  const listener = () => listenerRef!;
  let listenerRef: ReturnType<typeof plainAndTls> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-sniff-'));
    const tls = await ensureServerCert(join(dir, 'tls'), ['localhost', '127.0.0.1']);
    ca = tls.caFile;
    listenerRef = plainAndTls(http, { cert: tls.cert, key: tls.key, firstByteTimeoutMs: 300, onTlsError: (e) => errors.push(e.message) });
    await new Promise<void>((r) => listener().listen(0, '127.0.0.1', r));
    port = (listener().address() as AddressInfo).port;
  });
  after(async () => {
    listener().close();
    await rm(dir, { recursive: true, force: true });
  });

  const curl = async (...args: string[]) => (await run('curl', ['-sS', '--max-time', '10', ...args], { env: { ...process.env, CURL_CA_BUNDLE: '' } })).stdout;

  test('plain and TLS requests, with bodies, on the same port; the CA in ca.pem verifies the certificate', async () => {
    assert.equal(await curl(`http://127.0.0.1:${port}/`), 'plain GET');
    assert.equal(await curl('--cacert', ca, `https://localhost:${port}/`), 'tls GET');
    assert.equal(await curl('--cacert', ca, `https://127.0.0.1:${port}/`), 'tls GET');
    const body = join(dir, 'body');
    await writeFile(body, 'x'.repeat(200_000));
    assert.equal(await curl('--cacert', ca, '--data-binary', `@${body}`, `https://localhost:${port}/`), 'tls POST');
    assert.equal(await curl('--data-binary', `@${body}`, `http://127.0.0.1:${port}/`), 'plain POST');
    const pem = await readFile(ca, 'utf8');
    assert.match(pem, /BEGIN CERTIFICATE/);
  });

  test('a silent connection is closed, a broken handshake is refused, and the port goes on serving', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000);
    });
    assert.ok(closed, 'a connection that sends nothing is closed after firstByteTimeoutMs');
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3, 4])));
      s.on('error', () => undefined);
      s.on('close', () => resolve());
      s.resume();
    });
    assert.ok(errors.length > 0, 'the garbage handshake was reported');
    await assert.rejects(curl(`https://localhost:${port}/`), /certificate/i, 'a client without the CA refuses the certificate');
    assert.equal(await curl('--cacert', ca, `https://localhost:${port}/`), 'tls GET');
    assert.equal(await curl(`http://127.0.0.1:${port}/`), 'plain GET');
  });
});
