// The reconcile decision, case by case: each row is a situation a user creates (scale, ps:type, a
// deploy, a crash, preboot) and the dynos the platform must stop, forget, start or hand over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planReconcile, type DynoView, type ReconcileInput } from './reconcile.ts';

const V1 = { id: 'r1', processTypes: { web: 'node web.js', worker: 'node worker.js', release: 'node migrate.js' } };
const V2 = { id: 'r2', processTypes: { web: 'node web.js', worker: 'node worker.js' } };

const dyno = (name: string, over: Partial<DynoView> = {}): DynoView => {
  const type = name.split('.')[0]!;
  return { name, type, state: 'up', releaseId: 'r1', command: (V1.processTypes as Record<string, string>)[type] ?? '', size: 'standard-1x', ...over };
};
const f = (type: string, quantity: number, size = 'standard-1x') => ({ type, quantity, size });

interface Case {
  name: string;
  input: Partial<ReconcileInput>;
  start?: string[];
  stop?: string[];
  restart?: string[];
  drop?: string[];
  handOver?: string[];
}

const cases: Case[] = [
  { name: 'first deploy: web=1 starts web.1', input: { formation: [f('web', 1), f('worker', 0), f('release', 0)] }, start: ['web.1'] },
  { name: 'nothing to do when every dyno matches', input: { formation: [f('web', 2)], dynos: [dyno('web.1'), dyno('web.2')] } },
  { name: 'scale up: web 1 → 3 starts web.2 and web.3 only', input: { formation: [f('web', 3)], dynos: [dyno('web.1')] }, start: ['web.2', 'web.3'] },
  { name: 'scale down: web 3 → 1 stops web.2 and web.3, no successor', input: { formation: [f('web', 1)], dynos: [dyno('web.1'), dyno('web.2'), dyno('web.3')] }, stop: ['web.2', 'web.3'] },
  { name: 'scale to 0 stops everything of the type', input: { formation: [f('web', 0), f('worker', 1)], dynos: [dyno('web.1'), dyno('worker.1')] }, stop: ['web.1'] },
  {
    name: 'a type the release no longer has: its dynos stop, whatever the formation says',
    input: { release: V2, formation: [f('web', 1), f('release', 1)], dynos: [dyno('web.1', { releaseId: 'r2' }), dyno('release.1', { releaseId: 'r2', command: 'node migrate.js' })] },
    stop: ['release.1'],
  },
  {
    name: 'a changed command (new Procfile line) restarts the dyno under the same name',
    input: { release: { id: 'r1', processTypes: { web: 'node other.js' } }, formation: [f('web', 1)], dynos: [dyno('web.1')] },
    restart: ['web.1'], start: ['web.1'],
  },
  {
    name: 'size change (ps:type web=performance-m) restarts the dyno at the new size',
    input: { formation: [f('web', 1, 'performance-m'), f('worker', 1)], dynos: [dyno('web.1'), dyno('worker.1')] },
    restart: ['web.1'], start: ['web.1'],
  },
  {
    name: 'type change: web scaled down, worker up',
    input: { formation: [f('web', 0), f('worker', 2)], dynos: [dyno('web.1')] },
    stop: ['web.1'], start: ['worker.1', 'worker.2'],
  },
  {
    name: 'a crashed dyno waiting out its back-off stays crashed and is not started',
    input: { formation: [f('web', 1)], dynos: [dyno('web.1', { state: 'crashed' })], backingOff: new Set(['web.1']) },
  },
  {
    name: 'the back-off is over (the crashed dyno was removed): it starts again',
    input: { formation: [f('web', 1), f('worker', 1)], dynos: [dyno('worker.1')] },
    start: ['web.1'],
  },
  {
    name: 'a crashed dyno no longer wanted is forgotten, not stopped',
    input: { formation: [f('web', 1), f('worker', 0)], dynos: [dyno('web.1'), dyno('worker.1', { state: 'crashed' })], backingOff: new Set(['worker.1']) },
    drop: ['worker.1'],
  },
  {
    name: 'a crashed dyno of the old release is forgotten and its successor starts at once (a release resets the back-off)',
    input: { release: V2, formation: [f('web', 1)], dynos: [dyno('web.1', { state: 'crashed' })], backingOff: new Set(['web.1']) },
    drop: ['web.1'], start: ['web.1'],
  },
  {
    name: 'a release switch replaces every formation dyno (no preboot)',
    input: { release: V2, formation: [f('web', 2), f('worker', 1)], dynos: [dyno('web.1'), dyno('web.2'), dyno('worker.1')] },
    restart: ['web.1', 'web.2', 'worker.1'], start: ['web.1', 'web.2', 'worker.1'],
  },
  {
    name: 'preboot: up web dynos of the old release hand over and keep serving; other types restart',
    input: { release: V2, preboot: true, formation: [f('web', 2), f('worker', 1)], dynos: [dyno('web.1'), dyno('web.2'), dyno('worker.1')] },
    handOver: ['web.1', 'web.2'], restart: ['worker.1'], start: ['web.1', 'web.2', 'worker.1'],
  },
  {
    name: 'preboot: a web dyno still starting is not handed over, it is replaced',
    input: { release: V2, preboot: true, formation: [f('web', 1)], dynos: [dyno('web.1', { state: 'starting' })] },
    restart: ['web.1'], start: ['web.1'],
  },
  {
    name: 'preboot: web dynos scaled away are stopped, not handed over',
    input: { release: V2, preboot: true, formation: [f('web', 1)], dynos: [dyno('web.1'), dyno('web.2')] },
    handOver: ['web.1'], stop: ['web.2'], start: ['web.1'],
  },
  {
    name: 'an idle (asleep) eco dyno of the current release stays asleep',
    input: { formation: [f('web', 1, 'eco')], dynos: [dyno('web.1', { state: 'idle', size: 'eco' })] },
  },
  {
    name: 'a dyno stopped by ps:stop (down) is started again, without a Restarting line',
    input: { release: V2, formation: [f('web', 1)], dynos: [dyno('web.1', { state: 'down' })] },
    stop: ['web.1'], start: ['web.1'],
  },
  {
    name: 'no release yet: nothing is wanted, nothing runs',
    input: { release: undefined, formation: [f('web', 1)], dynos: [] },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const input: ReconcileInput = { release: V1, formation: [], dynos: [], preboot: false, backingOff: new Set(), ...c.input };
    const plan = planReconcile(input);
    assert.deepEqual(plan.start.map((w) => w.name), c.start ?? [], 'start');
    const stops = plan.stop.filter((s) => !s.restart).map((s) => s.name);
    const restarts = plan.stop.filter((s) => s.restart).map((s) => s.name);
    assert.deepEqual(stops, c.stop ?? [], 'stop');
    assert.deepEqual(restarts, c.restart ?? [], 'restart');
    assert.deepEqual(plan.drop, c.drop ?? [], 'drop');
    assert.deepEqual(plan.handOver, c.handOver ?? [], 'hand over');
  });
}

test('what starts runs the release\'s command at the formation\'s size', () => {
  const plan = planReconcile({ release: V2, formation: [f('web', 1, 'standard-2x')], dynos: [], preboot: false, backingOff: new Set() });
  assert.deepEqual(plan.start, [{ name: 'web.1', type: 'web', command: 'node web.js', size: 'standard-2x' }]);
  assert.deepEqual(plan.desired, plan.start);
});
