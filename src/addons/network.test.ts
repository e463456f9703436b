import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddonNetwork, parsePool } from './network.ts';

test('the add-on pool is an aligned IPv4 CIDR; errors name the setting', () => {
  assert.deepEqual(parsePool('10.214.0.0/16'), { base: (10 * 256 + 214) * 65536, size: 16384 });
  assert.throws(() => parsePool('10.214.0.1/16'), /SLIPWAY_ADDONS_POOL 10\.214\.0\.1\/16: 10\.214\.0\.1 is not the start of a \/16/);
  assert.throws(() => parsePool('fd00::/64'), /SLIPWAY_ADDONS_POOL/);
});

test('servers run in the namespace, as their user, their dir bound at /mnt', () => {
  const n = new AddonNetwork({ dir: '/d/addons', pool: '10.214.0.0/16', id: 'slipway-0123abcd-' });
  const [cmd, args] = n.wrap('redis', '/d/addons/redis/x', ['/usr/bin/redis-server', '/mnt/redis.conf']);
  assert.equal(cmd, 'ip');
  assert.deepEqual(args.slice(0, 5), ['netns', 'exec', 'slipway-0123abcd-addons', 'sh', '-c']);
  assert.deepEqual(args.slice(6), ['/d/addons/redis/x', 'redis', '/usr/bin/redis-server', '/mnt/redis.conf']);
});
