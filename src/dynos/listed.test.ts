import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterDyno, ClusterFormation } from '../runtime/cluster.ts';
import { clusterTargets, listedDynos, type ListedDyno } from './listed.ts';

const at = new Date('2026-12-07T10:00:00Z');
const task = (name: string, state: ClusterDyno['state'], address?: string, port?: number): ClusterDyno => ({
  id: `t-${name}`, name, type: name.split('.')[0]!, state, command: 'python3 server.py', size: 'standard-2x',
  release: { id: 'r', version: 3 }, createdAt: at, updatedAt: at, node: 'node-a', address, port,
});
const cluster = (dynos: ClusterDyno[]) => ({ dynos: () => dynos }) as unknown as ClusterFormation;

test('ps lists the engine\'s dynos with the platform\'s own one-offs, by name and number', () => {
  const oneOff = { id: 'x', name: 'run.4711', state: 'up', spec: { type: 'run', command: 'bash', size: { name: 'standard-1x', display: 'Standard-1X' }, release: { id: 'r', version: 3 } }, createdAt: at, updatedAt: at, resize: async () => undefined } as ListedDyno;
  const listed = listedDynos(cluster([task('web.10', 'up'), task('web.2', 'starting'), task('worker.1', 'crashed')]), 'app', [oneOff]);
  assert.deepEqual(listed.map((d) => [d.name, d.state, d.spec.size.display, d.node]), [
    ['run.4711', 'up', 'Standard-1X', undefined], ['web.2', 'starting', 'Standard-2X', 'node-a'], ['web.10', 'up', 'Standard-2X', 'node-a'], ['worker.1', 'crashed', 'Standard-2X', 'node-a'],
  ]);
  assert.equal(listedDynos(undefined, 'app', [oneOff]).length, 1);
});

test('the router gets the engine\'s up web dynos that have an address', () => {
  const targets = clusterTargets(cluster([task('web.1', 'up', '10.0.0.5', 30001), task('web.2', 'starting', '10.0.0.5', 30002), task('web.3', 'up'), task('worker.1', 'up', '10.0.0.5', 1)]), 'app');
  assert.deepEqual(targets, [{ dyno: 'web.1', host: '10.0.0.5', port: 30001 }]);
});
