// The `run` rendezvous refuses what a stranger can present: a made-up secret, a secret used once
// already, and one whose time ran out; the right secret, in time, gets the dyno's stream.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { ensureServerCert } from '../platform/tls.ts';
import { Rendezvous } from './rendezvous.ts';

test('a wrong, reused or expired rendezvous secret is refused; the right one attaches once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-rdv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tls = await ensureServerCert(join(dir, 'tls'), ['localhost', '127.0.0.1']);
  const ca = await readFile(tls.caFile, 'utf8');
  const r = new Rendezvous({ port: 0, host: '127.0.0.1', publicHost: '127.0.0.1', key: tls.key, cert: tls.cert, caPem: ca, attachTimeoutMs: 300 });
  await r.listen();
  t.after(() => r.close());
  const port = Number(r.url.split(':').at(-1));
  /** What the server says to a client presenting `secret` (until it closes, or 2 s). */
  const present = (secret: string) => new Promise<string>((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => s.write(`${secret}\r\n`));
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    setTimeout(() => { s.destroy(); resolve(got); }, 2000);
  });
  const attached: string[] = [];
  const good = r.expect((stream) => { attached.push('yes'); stream.end('hello from the dyno\r\n'); }, () => undefined);
  assert.match(await present('0'.repeat(48)), /unknown or expired session/);
  assert.match(await present(good), /rendezvous\r\nhello from the dyno/);
  assert.match(await present(good), /unknown or expired session/, 'a secret works once');
  let timedOut = false;
  const late = r.expect(() => attached.push('late'), () => { timedOut = true; });
  await new Promise((res) => setTimeout(res, 500));
  assert.ok(timedOut);
  assert.match(await present(late), /unknown or expired session/, 'an expired secret is refused');
  assert.deepEqual(attached, ['yes']);
});
