import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentTasks, publishedPort, taskState, transitionLines, type EngineTask } from './tasks.ts';
import { parseServiceLogLine } from './task-logs.ts';

const task = (id: string, slot: number, state: string, desired = 'running', created = '2026-12-07T10:00:00Z', extra: Partial<EngineTask['Status']> = {}): EngineTask => ({
  ID: id, ServiceID: 's', Slot: slot, CreatedAt: created, UpdatedAt: created, DesiredState: desired, Status: { State: state, ...extra },
});

test('task states in Heroku\'s words', () => {
  assert.equal(taskState(task('a', 1, 'preparing')), 'starting');
  assert.equal(taskState(task('a', 1, 'running')), 'running');
  assert.equal(taskState(task('a', 1, 'failed', 'shutdown')), 'crashed');
  assert.equal(taskState(task('a', 1, 'rejected')), 'crashed');
  // Ending by itself while it should run is a crash, even with status 0; stopped by the platform is down.
  assert.equal(taskState(task('a', 1, 'complete', 'running')), 'crashed');
  assert.equal(taskState(task('a', 1, 'complete', 'shutdown')), 'down');
  assert.equal(taskState(task('a', 1, 'shutdown', 'shutdown')), 'down');
});

test('each slot is stood for by its newest task that should run, else its newest', () => {
  const tasks = [
    task('old', 1, 'failed', 'shutdown', '2026-12-07T10:00:00Z'),
    task('new', 1, 'starting', 'running', '2026-12-07T10:00:05Z'),
    task('gone', 2, 'shutdown', 'shutdown', '2026-12-07T10:00:01Z'),
    task('gone2', 2, 'failed', 'shutdown', '2026-12-07T10:00:09Z'),
    { ...task('noslot', 0, 'running'), Slot: undefined },
  ];
  const cur = currentTasks(tasks);
  assert.equal(cur.get(1)!.ID, 'new');
  assert.equal(cur.get(2)!.ID, 'gone2');
  assert.equal(cur.size, 2);
});

test('the published port of a task', () => {
  const t = task('a', 1, 'running', 'running', undefined, { PortStatus: { Ports: [{ TargetPort: 5000, PublishedPort: 30123 }] } });
  assert.equal(publishedPort(t, 5000), 30123);
  assert.equal(publishedPort(task('b', 1, 'running'), 5000), undefined);
});

test('a task\'s changes are logged as a runc dyno\'s', () => {
  assert.deepEqual(transitionLines(undefined, { state: 'starting' }, 'node index.js'), ['Starting process with command `node index.js`']);
  assert.deepEqual(transitionLines({ state: 'starting' }, { state: 'running' }, 'x'), []);
  assert.deepEqual(transitionLines({ state: 'running' }, { state: 'up' }, 'x'), ['State changed from starting to up']);
  assert.deepEqual(transitionLines({ state: 'up' }, { state: 'crashed', exitCode: 137 }, 'x'), ['Process exited with status 137', 'State changed from up to crashed']);
  assert.deepEqual(transitionLines({ state: 'crashed', exitCode: 137 }, { state: 'crashed', exitCode: 137 }, 'x'), []);
});

test('a service log line gives its time, task and message', () => {
  const line = '2026-12-07T10:00:00.123456789Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1abc listening on 5000';
  assert.deepEqual(parseServiceLogLine(line), { at: '2026-12-07T10:00:00.123456789Z', task: 't1abc', message: 'listening on 5000' });
  assert.equal(parseServiceLogLine('no details here').task, undefined);
});
