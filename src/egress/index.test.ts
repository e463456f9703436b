// The egress policy: the operator's setting parsed (or refused with what to write), internal addresses
// refused unless allowed, names checked at resolution, and redirects checked hop by hop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkedAddress, guardedGet, guardedLookup, parseAllowedTargets, refusal } from './index.ts';

test('the setting: empty or 0 allows nothing, 1 everything, else CIDRs and addresses, canonical; junk is refused', () => {
  assert.equal(parseAllowedTargets(undefined).all, false);
  assert.deepEqual(parseAllowedTargets('0').ipv4, []);
  assert.equal(parseAllowedTargets('1').all, true);
  assert.deepEqual(parseAllowedTargets(' 10.1.2.3/16, 192.168.5.7 ,fd00::/8').ipv4, ['10.1.0.0/16', '192.168.5.7/32']);
  for (const bad of ['yes', '10.0.0.0/33', '10.0.0/8', '1.2.3.4/8/9', 'fd00::/129', 'localhost']) {
    assert.throws(() => parseAllowedTargets(bad), /SLIPWAY_ALLOW_PRIVATE_TARGETS: .* is not an IP address or CIDR; use 1/);
  }
});

test('refusal: loopback, link-local, private, CGN, multicast and their IPv6 kin are refused; public ones and allowed ranges pass', () => {
  const none = parseAllowedTargets('');
  for (const ip of ['127.0.0.1', '169.254.169.254', '10.0.0.1', '172.16.5.5', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '::1', '::', 'fe80::1', 'fd12::1', '::ffff:169.254.169.254']) {
    assert.match(refusal(ip, none) ?? '', /loopback, link-local or private address; the operator can allow it with SLIPWAY_ALLOW_PRIVATE_TARGETS/, ip);
  }
  for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1']) assert.equal(refusal(ip, none), undefined, ip);
  const some = parseAllowedTargets('169.254.0.0/16,fd00::/8');
  assert.equal(refusal('169.254.169.254', some), undefined);
  assert.equal(refusal('fd12::1', some), undefined);
  assert.ok(refusal('10.0.0.1', some));
  assert.equal(refusal('10.0.0.1', parseAllowedTargets('1')), undefined);
});

test('names: a host resolving to loopback is refused at lookup, literal addresses before any connect', async () => {
  const none = parseAllowedTargets('');
  await assert.rejects(checkedAddress('localhost', none), (e: Error & { code?: string }) => e.code === 'EGRESS_REFUSED' && /refusing to connect to localhost: 127\.0\.0\.1/.test(e.message));
  await assert.rejects(checkedAddress('[::1]', none), /refusing to connect to ::1/);
  assert.equal(await checkedAddress('localhost', parseAllowedTargets('127.0.0.0/8,::1')), '127.0.0.1');
  const lookup = guardedLookup(parseAllowedTargets('127.0.0.1,::1'));
  const all = await new Promise((resolve, reject) => lookup('localhost', { all: true }, (err, a) => (err ? reject(err) : resolve(a))));
  assert.ok(Array.isArray(all) && all.length >= 1);
});

test('guardedGet: fetches from an allowed host; a redirect to an address not allowed is refused before connecting', async (t) => {
  const server: Server = createServer((req, res) => {
    if (req.url === '/hop') return res.writeHead(302, { Location: '/data' }).end();
    if (req.url === '/escape') return res.writeHead(302, { Location: `http://127.0.0.2:${port}/data` }).end();
    res.end('payload');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const allowed = parseAllowedTargets('127.0.0.1');
  const res = await guardedGet(`http://127.0.0.1:${port}/hop`, allowed);
  let body = '';
  for await (const chunk of res) body += chunk;
  assert.equal(body, 'payload');
  await assert.rejects(guardedGet(`http://127.0.0.1:${port}/escape`, allowed), /refusing to connect to 127\.0\.0\.2/);
  await assert.rejects(guardedGet(`http://127.0.0.1:${port}/data`, parseAllowedTargets('')), /refusing to connect to 127\.0\.0\.1/);
  await assert.rejects(guardedGet('file:///etc/passwd', parseAllowedTargets('1')), /only http and https/);
});
