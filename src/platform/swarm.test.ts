import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';
import { containerPrefixFor } from './swarm.ts';

test('SLIPWAY_RUNTIME=swarm reads the engine and blob endpoint settings; other runtimes have none', () => {
  const c = loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_API_PORT: '6000', DOCKER_HOST: 'unix:///run/other.sock' });
  assert.equal(c.runtime, 'swarm');
  assert.deepEqual(c.swarm, {
    dockerHost: 'unix:///run/other.sock', blobPort: 6002, blobUrl: undefined, registry: undefined, registryPort: 6003,
    restartDelayMs: 10_000, pollMs: 5000, slugUrlTtlMs: 86_400_000, engineSocket: '/var/run/docker.sock',
  });
  assert.equal(loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_SWARM_ENGINE_SOCKET: '/run/engines/{{.Node.ID}}.sock' }).swarm!.engineSocket, '/run/engines/{{.Node.ID}}.sock');
  const set = loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_SWARM_BLOB_URL: 'http://10.0.0.5:7000/', SLIPWAY_REGISTRY: '10.0.0.5:5005' }).swarm!;
  assert.equal(set.blobUrl, 'http://10.0.0.5:7000');
  assert.equal(set.registry, '10.0.0.5:5005');
  assert.equal(loadConfig({}).swarm, undefined);
  assert.equal(loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_SWARM_REGISTRY_PORT: '5999' }).swarm!.registryPort, 5999);
});

test('bad swarm settings are refused naming the setting', () => {
  assert.throws(() => loadConfig({ SLIPWAY_RUNTIME: 'swarms' }), (e: Error) => e instanceof ConfigError && /SLIPWAY_RUNTIME must be auto, runc, process or swarm/.test(e.message));
  assert.throws(() => loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_SWARM_BLOB_URL: 'ftp://x/y' }), /SLIPWAY_SWARM_BLOB_URL must be http:\/\/host:port/);
  assert.throws(() => loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_REGISTRY: 'https://r/x' }), /SLIPWAY_REGISTRY must be host\[:port\]/);
  for (const bad of ['docker.sock', '/run/$(id).sock', '/run/../etc/x', '/run/a b.sock']) {
    assert.throws(() => loadConfig({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_SWARM_ENGINE_SOCKET: bad }), /SLIPWAY_SWARM_ENGINE_SOCKET must be an absolute path/, bad);
  }
});

test('one prefix per data dir names and labels what a platform makes', () => {
  assert.match(containerPrefixFor('/var/lib/slipway'), /^slipway-[0-9a-f]{8}-$/);
  assert.notEqual(containerPrefixFor('/a'), containerPrefixFor('/b'));
});
