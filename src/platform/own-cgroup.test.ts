// Where the platform's own cgroup goes, from /proc/self/cgroup as each layout writes it (recorded), nested
// under the cgroup the platform started in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownCgroupDirs, parseProcCgroup } from './own-cgroup.ts';

// This project's test machine: v1 controllers beside an empty cgroup2 (hybrid), started in a memory
// cgroup of its own.
const HYBRID = '9:name=systemd:/\n8:pids:/\n4:memory:/process_api/d361\n2:cpuacct:/\n1:cpu,cpuacct:/\n0::/\n';

test('the cgroup paths of /proc/self/cgroup, by controller; named hierarchies left out', () => {
  const p = parseProcCgroup(HYBRID);
  assert.equal(p.get('memory'), '/process_api/d361');
  assert.equal(p.get('pids'), '/');
  assert.equal(p.get('cpu'), '/');
  assert.equal(p.get(''), '/');
  assert.equal([...p.keys()].some((k) => k.startsWith('name=')), false);
});

test('v1 and hybrid: memory and pids, each under the cgroup the platform started in', () => {
  const dirs = ownCgroupDirs('hybrid', parseProcCgroup(HYBRID), 'slipway-0123abcd-platform', '/cg');
  assert.deepEqual(dirs, [
    { parent: '/cg/memory/process_api/d361', dir: '/cg/memory/process_api/d361/slipway-0123abcd-platform' },
    { parent: '/cg/pids', dir: '/cg/pids/slipway-0123abcd-platform' },
  ]);
});

test('v2: one directory, under the unit that started it', () => {
  const dirs = ownCgroupDirs('unified', parseProcCgroup('0::/system.slice/slipway.service\n'), 'slipway-0123abcd-platform', '/cg');
  assert.deepEqual(dirs, [{ parent: '/cg/system.slice/slipway.service', dir: '/cg/system.slice/slipway.service/slipway-0123abcd-platform' }]);
});
