import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { secretContent, serviceName, serviceSpec, specHash, type ServiceInput } from './service-spec.ts';
import { oneOffRunner, serviceRunner } from './runner.ts';
import { shellQuote } from './shell.ts';

const input: ServiceInput = {
  platform: 'slipway-0123abcd-', app: { id: 'app-id', name: 'demo' }, release: { id: 'rel-id', version: 7 }, type: 'web',
  command: 'node index.js', quantity: 3, size: 'standard-2x', preboot: true, image: 'slipway-12:abc',
  secret: { id: 'sec-id', name: 'slipway-0123abcd-s1' }, restartDelayNs: 1e9,
};

test('a process type becomes a service: replicas, limits from the size, labels, DYNO from the slot, a published web port', () => {
  const spec = serviceSpec(input) as any;
  assert.equal(spec.Name, 'slipway-0123abcd-demo-web');
  assert.equal(spec.Mode.Replicated.Replicas, 3);
  assert.deepEqual(spec.TaskTemplate.Resources.Limits, { MemoryBytes: 2048 * 1024 * 1024, Pids: 512 });
  assert.equal(spec.TaskTemplate.Resources.Reservations.MemoryBytes, 1024 * 1024 * 1024);
  for (const l of [spec.Labels, spec.TaskTemplate.ContainerSpec.Labels]) {
    assert.equal(l['slipway.app'], 'demo');
    assert.equal(l['slipway.release'], 'v7');
    assert.equal(l['slipway.process_type'], 'web');
    assert.equal(l['slipway.platform'], 'slipway-0123abcd-');
  }
  assert.ok(spec.TaskTemplate.ContainerSpec.Env.includes('DYNO=web.{{.Task.Slot}}'));
  assert.ok(spec.TaskTemplate.ContainerSpec.Env.includes('PORT=5000'));
  assert.equal(spec.TaskTemplate.RestartPolicy.Condition, 'any');
  assert.equal(spec.UpdateConfig.Order, 'start-first');
  assert.deepEqual(spec.EndpointSpec.Ports, [{ Protocol: 'tcp', TargetPort: 5000, PublishMode: 'host' }]);
  // Config vars travel in the secret, never in the spec.
  assert.equal(spec.TaskTemplate.ContainerSpec.Secrets[0].File.Mode, 0o400);
  assert.doesNotMatch(JSON.stringify(spec), /SECRET/);
});

test('a worker publishes nothing and stops before its successor starts', () => {
  const spec = serviceSpec({ ...input, type: 'worker', preboot: false }) as any;
  assert.equal(spec.EndpointSpec, undefined);
  assert.equal(spec.UpdateConfig.Order, 'stop-first');
  assert.ok(!spec.TaskTemplate.ContainerSpec.Env.some((e: string) => e.startsWith('PORT=')));
});

test('only the quantity changing keeps the spec hash (the tasks stay)', () => {
  assert.equal(specHash(input), specHash({ ...input, quantity: 9 }));
  assert.notEqual(specHash(input), specHash({ ...input, size: 'standard-1x' }));
  assert.notEqual(specHash(input), specHash({ ...input, release: { id: 'other', version: 8 } }));
});

test('service names fit Swarm\'s 63 characters', () => {
  const long = serviceName('slipway-0123abcd-', 'a'.repeat(30), 'very-long-process-type-name-here');
  assert.ok(long.length <= 63, long);
  assert.notEqual(long, serviceName('slipway-0123abcd-', 'a'.repeat(30), 'very-long-process-type-name-there'));
});

test('the secret file gives back every value exactly when sourced by the shell', () => {
  const config = { A: "it's $HOME `id` \"q\"", MULTI: 'line1\nline2', EMPTY: '', 'BAD-NAME': 'x' };
  const file = secretContent(config, 'http://10.0.0.1:5002/slugs/ab?x=1&y=2');
  const out = execFileSync('bash', ['-c', 'set -a; eval "$0"; printf "%s\\0" "$A" "$MULTI" "$EMPTY" "$SLIPWAY_SLUG_URL"', file]).toString().split('\0');
  assert.deepEqual(out.slice(0, 4), [config.A, config.MULTI, '', 'http://10.0.0.1:5002/slugs/ab?x=1&y=2']);
  assert.doesNotMatch(file, /BAD-NAME/);
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
});

test('the runners are valid shell and run the command as the dyno user, passing signals on', () => {
  for (const script of [serviceRunner('/run/secrets/x', "echo 'hi' && node index.js"), oneOffRunner('/run/env', '/slug')]) {
    execFileSync('bash', ['-n', '-c', script]);
    assert.match(script, /setpriv --reuid=1000 --regid=1000 --clear-groups --no-new-privs --inh-caps=-all /);
    assert.match(script, /trap "kill -\$s -1 2>\/dev\/null" \$s/);
  }
  const service = serviceRunner('/run/secrets/x', 'node index.js');
  assert.ok(service.indexOf('unset SLIPWAY_SLUG_URL') < service.indexOf('curl'));
});
