import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { workerFirewallScript } from './worker-firewall.ts';

test('the worker script admits the platform\'s machine alone to tasks and closes the worker and private ranges to them', () => {
  const script = workerFirewallScript({ manager: '10.0.0.5', allowPrivate: { all: false, ipv4: ['10.9.0.0/16'] } });
  execFileSync('sh', ['-n'], { input: script }); // valid shell
  assert.match(script, /^MANAGER=10\.0\.0\.5$/m);
  assert.match(script, /-A SLIPWAY-WORKER-FWD -d "\$s" ! -s "\$MANAGER" -j REJECT/);
  // The operator's allowed range comes before the private ranges' refusal.
  assert.match(script, /-d '10\.9\.0\.0\/16' -j RETURN[\s\S]*-d 10\.0\.0\.0\/8 -j REJECT/);
  assert.match(script, /-I DOCKER-USER 1 -j SLIPWAY-WORKER-FWD/);
  assert.match(script, /-I INPUT 1 -s "\$s" -j SLIPWAY-WORKER-IN/);
  assert.doesNotMatch(workerFirewallScript({ manager: '10.0.0.5', allowPrivate: { all: true, ipv4: [] } }), /10\.0\.0\.0\/8/);
  assert.throws(() => workerFirewallScript({ manager: 'evil; rm -rf /', allowPrivate: { all: false, ipv4: [] } }), /must be an IPv4 address/);
});
