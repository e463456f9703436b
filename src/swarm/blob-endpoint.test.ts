// The swarm's slug endpoint listens on every address (tasks on any node fetch their slug from it), so
// anyone on the network may call it: only a signed, unexpired URL for that very slug gets its bytes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../logger/index.ts';
import { ConfigCipher } from '../releases/index.ts';
import { BlobEndpoint } from './blob-endpoint.ts';

describe('swarm blob endpoint', () => {
  let dir = '';
  let endpoint: BlobEndpoint;
  let base = '';
  const body = randomBytes(4096);
  const sha = createHash('sha256').update(body).digest('hex');
  const other = createHash('sha256').update('another app').digest('hex');
  const later = () => Math.floor(Date.now() / 1000) + 600;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-blob-endpoint-'));
    await writeFile(join(dir, sha), body);
    await writeFile(join(dir, other), 'another app\'s slug');
    const cipher = ConfigCipher.fromKey(randomBytes(32));
    endpoint = new BlobEndpoint({
      host: '127.0.0.1', port: 0, files: async (s) => (existsSync(join(dir, s)) ? [join(dir, s)] : undefined), logger: createLogger({ level: 'silent' }),
      sign: (c) => cipher.sign(c), verify: (c, s) => cipher.verify(c, s),
    });
    await endpoint.listen();
    base = `http://127.0.0.1:${endpoint.port}`;
  });
  after(async () => {
    await endpoint.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a signed, unexpired URL gets the slug; a changed, foreign, expired or unsigned one gets nothing', async () => {
    const good = await fetch(endpoint.url(base, sha, later()));
    assert.equal(good.status, 200);
    assert.deepEqual(Buffer.from(await good.arrayBuffer()), body);

    const url = new URL(endpoint.url(base, sha, later()));
    const refused = async (u: string, status: number) => {
      const res = await fetch(u);
      assert.equal(res.status, status, u);
      assert.ok(!Buffer.from(await res.arrayBuffer()).includes(body.subarray(0, 64)), `${u} sent no slug bytes`);
    };
    // Another slug's path with this slug's signature.
    await refused(`${base}/slugs/${other}${url.search}`, 403);
    // A later expiry than the one signed.
    await refused(`${base}/slugs/${sha}?expires=${later() + 3600}&signature=${url.searchParams.get('signature')}`, 403);
    // A signature changed in one character, or of another length, or none.
    const sig = url.searchParams.get('signature')!;
    await refused(`${base}/slugs/${sha}?expires=${url.searchParams.get('expires')}&signature=${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, 403);
    await refused(`${base}/slugs/${sha}?expires=${url.searchParams.get('expires')}&signature=x`, 403);
    await refused(`${base}/slugs/${sha}`, 403);
    // A genuine signature whose time has passed.
    await refused(endpoint.url(base, sha, Math.floor(Date.now() / 1000) - 1), 403);
    // Paths out of the blob directory are not slugs at all.
    await refused(`${base}/slugs/..%2f..%2fetc%2fpasswd${url.search}`, 404);
    await refused(`${base}/slugs/${sha}/../${other}${url.search}`, 403);
  });

  test('a request target no URL can be made of is refused, and the endpoint keeps serving', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(endpoint.port, '127.0.0.1', () => s.end('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = '';
      s.on('data', (c) => (got += c));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400/);
    assert.equal((await fetch(endpoint.url(base, sha, later()))).status, 200);
  });
});
