import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import { AddonRelay, admitted, relayConfig } from './addon-relay.ts';
import { nodesChain, nodesChainRestore } from './node-firewall.ts';

test('add-on URLs name the relay; other URLs, other ports and other hosts stay as they are', () => {
  const servers = { address: '10.214.3.2', ports: [5432, 6380] };
  const out = relayConfig({
    DATABASE_URL: 'postgres://u:p@10.214.3.2:5432/db',
    REDIS_URL: 'rediss://:secret@10.214.3.2:6380',
    OTHER: 'redis://:x@10.214.3.2:9999',
    NEAR: 'postgres://u:p@10.214.3.20:5432/db',
    PLAIN: 'hello',
  }, servers, '10.0.0.1');
  assert.deepEqual(out, {
    DATABASE_URL: 'postgres://u:p@10.0.0.1:5432/db',
    REDIS_URL: 'rediss://:secret@10.0.0.1:6380',
    OTHER: 'redis://:x@10.214.3.2:9999',
    NEAR: 'postgres://u:p@10.214.3.20:5432/db',
    PLAIN: 'hello',
  });
  assert.deepEqual(relayConfig({ A: 'postgres://u:p@10.214.3.2:5432/db' }, undefined, '10.0.0.1'), { A: 'postgres://u:p@10.214.3.2:5432/db' });
});

test('only nodes\' addresses and task subnets are admitted', () => {
  const nodes = new Set(['10.1.2.3']);
  assert.equal(admitted('10.1.2.3', nodes, []), true);
  assert.equal(admitted('::ffff:10.1.2.3', nodes, []), true);
  assert.equal(admitted('172.18.0.7', nodes, ['172.18.0.0/16']), true);
  assert.equal(admitted('172.19.0.7', nodes, ['172.18.0.0/16']), false);
  assert.equal(admitted('10.1.2.4', nodes, ['bogus']), false);
  assert.equal(admitted('::1', nodes, ['0.0.0.0/0']), false);
});

test('the relay carries an admitted connection to the server and closes any other unread', async () => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const port = (echo.address() as AddressInfo).port;
  let admit = new Set(['127.0.0.1']);
  const relay = new AddonRelay({ host: '127.0.0.2', admits: () => ({ addresses: admit, subnets: [] }), logger: pino({ level: 'silent' }) });
  // The "server" is the echo on 127.0.0.1; the relay listens on 127.0.0.2 at the same port.
  await relay.follow({ address: '127.0.0.1', ports: [port] });
  const talk = () => new Promise<string>((resolve) => {
    const s = connect({ host: '127.0.0.2', port });
    let got = '';
    s.on('data', (d) => { got += d; if (got === 'ping') s.end(); });
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
    s.write('ping');
  });
  try {
    assert.equal(await talk(), 'ping');
    admit = new Set(['10.9.9.9']);
    assert.equal(await talk(), '');
    // A port something else holds is left out (and logged), not a failure: URLs keep the server's address.
    const second = new AddonRelay({ host: '127.0.0.2', admits: () => ({ addresses: admit, subnets: [] }), logger: pino({ level: 'silent' }) });
    await second.follow({ address: '127.0.0.1', ports: [port] });
    assert.deepEqual(second.ports, []);
    // A port no server holds any more is not relayed.
    await relay.follow({ address: '127.0.0.1', ports: [] });
    assert.deepEqual(relay.ports, []);
  } finally {
    await relay.close();
    echo.close();
  }
});

test('the nodes\' chain admits swarm\'s ports and the platform\'s, and refuses the rest', () => {
  const chain = nodesChain('slipway-0123abcd-');
  assert.equal(chain, 'SLIPWAY-NODES-0123abcd');
  const rules = nodesChainRestore(chain, [5002, 6379]);
  assert.match(rules, /-A SLIPWAY-NODES-0123abcd -p tcp --dport 2377 -j ACCEPT/);
  assert.match(rules, /--dport 5002 -j ACCEPT[\s\S]*--dport 6379 -j ACCEPT/);
  assert.match(rules, /-p udp --dport 4789 -j ACCEPT/);
  assert.match(rules.trim().split('\n').at(-2)!, /-j REJECT/);
  assert.throws(() => nodesChain('x'), /not a platform prefix/);
});
