// Unit tests of the pure network plan: pool parsing, /30 arithmetic, veth names, subnet choice,
// the exact iptables rules and jumps, and the default route's interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_POOL, canonicalCidr, cidrsOverlap, countJumps, defaultRouteInterface, resolversOf, firewallInPlace, firewallRules, ipToNumber, jumps, numberToIp, parsePool, pickSubnet,
  subnetAt, subnetOfVeth, validateChainPrefix, vethName,
} from './netplan.ts';

test('addresses convert both ways; bad ones are refused', () => {
  assert.equal(ipToNumber('10.213.0.0'), 0x0ad50000);
  assert.equal(numberToIp(0x0ad50106), '10.213.1.6');
  assert.equal(numberToIp(ipToNumber('255.255.255.255')), '255.255.255.255');
  for (const bad of ['10.213.0', '10.213.0.256', '10.213.0.x', '', '1.2.3.4.5']) assert.throws(() => ipToNumber(bad), /IPv4/);
});

test('pools: the default holds 16384 /30s; misaligned or odd sizes are refused with the fix', () => {
  assert.deepEqual(parsePool(DEFAULT_POOL), { base: 0x0ad50000, prefixLength: 16, size: 16384, cidr: '10.213.0.0/16' });
  assert.equal(parsePool('10.214.16.0/20').size, 1024);
  assert.equal(parsePool('192.168.7.0/30').size, 1);
  assert.throws(() => parsePool('10.213.0.1/16'), /not the start of a \/16 \(try 10\.213\.0\.0\/16\)/);
  assert.throws(() => parsePool('10.0.0.0/31'), /from \/8 to \/30/);
  assert.throws(() => parsePool('10.0.0.0/7'), /from \/8 to \/30/);
  assert.throws(() => parsePool('10.0.0.0'), /CIDR/);
});

test('a /30: gateway .1 on the host side, .2 in the container, the veth name encodes it (<= 15 chars)', () => {
  const pool = parsePool(DEFAULT_POOL);
  assert.deepEqual(subnetAt(pool, 0), { base: 0x0ad50000, gateway: '10.213.0.1', address: '10.213.0.2', veth: 'sw0ad50000' });
  assert.deepEqual(subnetAt(pool, 65), { base: 0x0ad50104, gateway: '10.213.1.5', address: '10.213.1.6', veth: 'sw0ad50104' });
  const last = subnetAt(pool, 16383);
  assert.equal(last.address, '10.213.255.254');
  assert.ok(last.veth.length <= 15);
  assert.throws(() => subnetAt(pool, 16384), /outside/);
  assert.throws(() => subnetAt(pool, -1), /outside/);
  assert.equal(vethName(0xffffffff), 'swffffffff');
  assert.equal(subnetOfVeth('sw0ad50104'), 0x0ad50104);
  for (const other of ['eth0', 'sw0ad5010', 'sw0ad501040', 'swG0000000', 'xsw0ad50104', 'lo']) assert.equal(subnetOfVeth(other), undefined);
});

test('subnet choice: skips taken ones (by veth name, any other pool ignored), wraps, and reports a full pool', () => {
  const pool = parsePool('10.214.0.0/28'); // 4 subnets
  const name = (i: number) => subnetAt(pool, i).veth;
  assert.equal(pickSubnet(pool, ['lo', 'eth0']), 0);
  assert.equal(pickSubnet(pool, [name(0), name(1)]), 2);
  assert.equal(pickSubnet(pool, [name(2)], 2), 3);
  assert.equal(pickSubnet(pool, [name(3)], 3), 0, 'wraps around');
  assert.equal(pickSubnet(pool, [], 7), 3, 'start is taken modulo the size');
  assert.equal(pickSubnet(pool, [name(1)], 1, new Set([2])), 3, 'skips subnets lost to another starter');
  assert.equal(pickSubnet(pool, [vethName(ipToNumber('10.213.0.0'))]), 0, 'a veth of another pool does not count');
  assert.equal(pickSubnet(pool, [0, 1, 2, 3].map(name)), undefined);
});

test('firewall rules: exact chains and order, ports sorted and deduplicated', () => {
  const text = firewallRules({ pool: parsePool(DEFAULT_POOL), allowHostPorts: [6379, 5432, 6379], chainPrefix: 'SLIPWAY' });
  assert.equal(text, [
    '*filter',
    ':SLIPWAY-INPUT - [0:0]',
    ':SLIPWAY-FORWARD - [0:0]',
    '-A SLIPWAY-INPUT -s 10.213.0.0/16 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A SLIPWAY-INPUT -s 10.213.0.0/16 -p tcp -m tcp --dport 5432 -j ACCEPT',
    '-A SLIPWAY-INPUT -s 10.213.0.0/16 -p tcp -m tcp --dport 6379 -j ACCEPT',
    '-A SLIPWAY-INPUT -s 10.213.0.0/16 -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -o sw+ -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -d 10.213.0.0/16 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A SLIPWAY-FORWARD -d 10.213.0.0/16 -j DROP',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -d 10.0.0.0/8 -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -d 172.16.0.0/12 -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -d 192.168.0.0/16 -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -d 100.64.0.0/10 -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -d 169.254.0.0/16 -j REJECT --reject-with icmp-admin-prohibited',
    '-A SLIPWAY-FORWARD -s 10.213.0.0/16 -j ACCEPT',
    'COMMIT',
    '*nat',
    ':SLIPWAY-POSTROUTING - [0:0]',
    '-A SLIPWAY-POSTROUTING -s 10.213.0.0/16 ! -d 10.213.0.0/16 -j MASQUERADE',
    'COMMIT',
    '',
  ].join('\n'));
  const none = firewallRules({ pool: parsePool('10.214.0.0/20'), allowHostPorts: [], chainPrefix: 'T1' });
  assert.doesNotMatch(none, /--dport/);
  assert.match(none, /-A T1-INPUT -s 10\.214\.0\.0\/20 -j REJECT/);
  assert.throws(() => firewallRules({ pool: parsePool(DEFAULT_POOL), allowHostPorts: [0], chainPrefix: 'X' }), /not a TCP port/);
  assert.throws(() => firewallRules({ pool: parsePool(DEFAULT_POOL), allowHostPorts: [1.5], chainPrefix: 'X' }), /not a TCP port/);
});

test('chain prefixes must make valid chain names; jumps go first from INPUT, FORWARD and nat POSTROUTING', () => {
  assert.doesNotThrow(() => validateChainPrefix('SLIPWAY_TEST_123'));
  for (const bad of ['', '1X', 'A-B', 'A B', 'X'.repeat(17)]) assert.throws(() => validateChainPrefix(bad), /chain prefix/);
  assert.deepEqual(jumps('SW'), [
    { table: 'filter', from: 'INPUT', to: 'SW-INPUT' },
    { table: 'filter', from: 'FORWARD', to: 'SW-FORWARD' },
    { table: 'nat', from: 'POSTROUTING', to: 'SW-POSTROUTING' },
  ]);
});

test('firewall check: in place exactly when our chains hold the plan in order and each jump is there once', () => {
  const plan = { pool: parsePool('10.214.250.0/24'), allowHostPorts: [80], chainPrefix: 'SW' };
  // As iptables-save prints it: its own chain order, other software's rules around ours.
  const save = (over: { input?: string[]; fwdJumps?: number; postrouting?: string[] } = {}) => [
    '# Generated by iptables-save v1.8.9 (nf_tables)',
    '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':SW-FORWARD - [0:0]', ':SW-INPUT - [0:0]',
    '-A INPUT -j SW-INPUT', '-A INPUT -i lo -j ACCEPT',
    ...Array.from({ length: over.fwdJumps ?? 1 }, () => '-A FORWARD -j SW-FORWARD'),
    '-A SW-FORWARD -s 10.214.250.0/24 -o sw+ -j REJECT --reject-with icmp-admin-prohibited',
    '-A SW-FORWARD -d 10.214.250.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A SW-FORWARD -d 10.214.250.0/24 -j DROP',
    ...['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16']
      .map((r) => `-A SW-FORWARD -s 10.214.250.0/24 -d ${r} -j REJECT --reject-with icmp-admin-prohibited`),
    '-A SW-FORWARD -s 10.214.250.0/24 -j ACCEPT',
    ...(over.input ?? [
      '-A SW-INPUT -s 10.214.250.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A SW-INPUT -s 10.214.250.0/24 -p tcp -m tcp --dport 80 -j ACCEPT',
      '-A SW-INPUT -s 10.214.250.0/24 -j REJECT --reject-with icmp-admin-prohibited',
    ]),
    'COMMIT', '*nat', ':POSTROUTING ACCEPT [0:0]', ':SW-POSTROUTING - [0:0]',
    ...(over.postrouting ?? ['-A POSTROUTING -j SW-POSTROUTING', '-A SW-POSTROUTING -s 10.214.250.0/24 ! -d 10.214.250.0/24 -j MASQUERADE']),
    'COMMIT', '',
  ].join('\n');
  assert.equal(firewallInPlace(save(), plan), true);
  assert.equal(firewallInPlace(save(), { ...plan, allowHostPorts: [80, 443] }), false, 'a port to add');
  assert.equal(firewallInPlace(save(), { ...plan, allowHostPorts: [] }), false, 'a port to remove');
  assert.equal(firewallInPlace(save(), { ...plan, resolvers: ['10.9.9.9'] }), false, 'a resolver to add');
  assert.equal(firewallInPlace(save(), { ...plan, allowPrivate: { all: true, ipv4: [] } }), false, 'private ranges opened');
  assert.equal(firewallInPlace(save({ fwdJumps: 0 }), plan), false, 'jump missing');
  assert.equal(firewallInPlace(save({ fwdJumps: 2 }), plan), false, 'jump doubled');
  assert.equal(firewallInPlace(save({ input: [] }), plan), false, 'chain flushed');
  assert.equal(firewallInPlace(save({ postrouting: ['-A SW-POSTROUTING -s 10.214.250.0/24 ! -d 10.214.250.0/24 -j MASQUERADE'] }), plan), false);
  assert.equal(firewallInPlace('', plan), false);
});

test('jumps are counted exactly, so duplicates can be removed and lookalikes are left alone', () => {
  const listing = ['-P INPUT ACCEPT', '-A INPUT -j SW-INPUT', '-A INPUT -j SW-INPUT', '-A INPUT -j SW-INPUT2',
    '-A INPUT -s 1.2.3.4/32 -j SW-INPUT', ''].join('\n');
  assert.equal(countJumps(listing, { table: 'filter', from: 'INPUT', to: 'SW-INPUT' }), 2);
  assert.equal(countJumps('-P INPUT ACCEPT\n', { table: 'filter', from: 'INPUT', to: 'SW-INPUT' }), 0);
});

test('the default route interface comes from /proc/net/route (up, 0.0.0.0/0)', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth1\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  ].join('\n');
  assert.equal(defaultRouteInterface(table), 'eth0');
  assert.equal(defaultRouteInterface(table.split('\n').slice(0, 2).join('\n')), undefined);
  assert.equal(defaultRouteInterface('eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000'), undefined, 'header line skipped');
  assert.equal(defaultRouteInterface(''), undefined);
});

test('outbound: resolvers on 53, the open targets over TCP and allowed private ranges pass before the private REJECTs', () => {
  const base = { pool: parsePool('10.213.0.0/16'), allowHostPorts: [], chainPrefix: 'S' };
  const text = firewallRules({
    ...base, resolvers: ['10.255.255.53'], openTargets: ['10.214.0.0/16'],
    allowPrivate: { all: false, ipv4: ['192.168.7.9/24', '127.0.0.1/32'] },
  });
  const fwd = text.split('\n').filter((l) => l.startsWith('-A S-FORWARD'));
  assert.deepEqual(fwd.slice(3), [
    '-A S-FORWARD -s 10.213.0.0/16 -d 10.255.255.53/32 -p udp -m udp --dport 53 -j ACCEPT',
    '-A S-FORWARD -s 10.213.0.0/16 -d 10.255.255.53/32 -p tcp -m tcp --dport 53 -j ACCEPT',
    '-A S-FORWARD -s 10.213.0.0/16 -d 10.214.0.0/16 -p tcp -j ACCEPT',
    // 127.0.0.1 is allowed for the platform's own connections; no dyno can route there, so no rule.
    '-A S-FORWARD -s 10.213.0.0/16 -d 192.168.7.0/24 -j ACCEPT',
    '-A S-FORWARD -s 10.213.0.0/16 -d 10.0.0.0/8 -j REJECT --reject-with icmp-admin-prohibited',
    '-A S-FORWARD -s 10.213.0.0/16 -d 172.16.0.0/12 -j REJECT --reject-with icmp-admin-prohibited',
    '-A S-FORWARD -s 10.213.0.0/16 -d 192.168.0.0/16 -j REJECT --reject-with icmp-admin-prohibited',
    '-A S-FORWARD -s 10.213.0.0/16 -d 100.64.0.0/10 -j REJECT --reject-with icmp-admin-prohibited',
    '-A S-FORWARD -s 10.213.0.0/16 -d 169.254.0.0/16 -j REJECT --reject-with icmp-admin-prohibited',
    '-A S-FORWARD -s 10.213.0.0/16 -j ACCEPT',
  ]);
  // A resolver on the host itself answers through INPUT.
  assert.match(text, /-A S-INPUT -s 10\.213\.0\.0\/16 -d 10\.255\.255\.53\/32 -p udp -m udp --dport 53 -j ACCEPT\n[\s\S]*-A S-INPUT -s 10\.213\.0\.0\/16 -j REJECT/);
  const all = firewallRules({ ...base, allowPrivate: { all: true, ipv4: [] } });
  assert.doesNotMatch(all, /-d 169\.254|-d 10\.0\.0\.0\/8/);
  assert.throws(() => firewallRules({ ...base, resolvers: ['nope'] }), /IPv4/);
});

test('helpers: canonical CIDRs, overlap, resolv.conf nameservers (IPv4, not loopback)', () => {
  assert.equal(canonicalCidr('192.168.7.9/24', 'x'), '192.168.7.0/24');
  assert.equal(canonicalCidr('10.1.2.3', 'x'), '10.1.2.3/32');
  assert.throws(() => canonicalCidr('10.1.2.3/40', 'allowed target'), /allowed target "10.1.2.3\/40" is not an IPv4 address or CIDR/);
  assert.equal(cidrsOverlap('192.168.7.0/24', '192.168.0.0/16'), true);
  assert.equal(cidrsOverlap('10.0.0.0/8', '10.213.4.0/30'), true);
  assert.equal(cidrsOverlap('127.0.0.1/32', '10.0.0.0/8'), false);
  assert.deepEqual(resolversOf('# c\nnameserver 10.255.255.53\nnameserver 127.0.0.53\nnameserver ::1\nsearch x\n nameserver 1.1.1.1 \n'), ['10.255.255.53', '1.1.1.1']);
});
