// The shared supervision steps on real processes: a leftover found by its pid file is stopped only when
// it is the expected program (a recycled pid is left alone), one that ignores the signal is killed after
// the grace period, and readiness polling reports a process that exited.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { alive, commIs, running, stopChild, stopLeftover, waitReady } from './index.ts';

let dir: string;
const children: ChildProcess[] = [];
before(async () => { dir = await mkdtemp(join(tmpdir(), 'slipway-supervise-')); });
after(async () => {
  for (const c of children) if (running(c)) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function start(script: string): ChildProcess {
  const c = spawn('bash', ['-c', script], { stdio: 'ignore' });
  children.push(c);
  return c;
}
const exited = (c: ChildProcess) => new Promise<void>((r) => (running(c) ? c.once('exit', () => r()) : r()));

test('a leftover named by its pid file is stopped when it is the expected program, and only then', async () => {
  const c = start('exec sleep 60');
  const pidFile = join(dir, 'leftover.pid');
  await writeFile(pidFile, `${c.pid}\n`);
  await new Promise((r) => setTimeout(r, 100)); // exec done: comm is `sleep`
  await stopLeftover({ pidFile, ours: (pid) => commIs(pid, 'postgres'), signal: 'SIGTERM', graceMs: 1000 });
  assert.ok(alive(c.pid!), 'another program under that pid is left alone');
  const gone = exited(c);
  await stopLeftover({ pidFile, ours: (pid) => commIs(pid, 'sleep'), signal: 'SIGTERM', graceMs: 1000, pollMs: 20 });
  await gone;
  assert.equal(c.signalCode, 'SIGTERM');
});

test('a child that ignores its stop signal is killed after the grace period', async () => {
  const c = start('trap "" TERM; while true; do sleep 0.05; done');
  await new Promise((r) => setTimeout(r, 100));
  await stopChild(c, exited(c), 'SIGTERM', 300);
  assert.equal(c.signalCode, 'SIGKILL');
});

test('readiness: answers once the probe does; names why when the process exited', async () => {
  let n = 0;
  await waitReady(async () => ++n >= 3, { timeoutMs: 2000, intervalMs: 10, gone: () => undefined, what: 'not ready' });
  assert.equal(n, 3);
  const c = start('exit 3');
  await exited(c);
  await assert.rejects(waitReady(async () => false, { timeoutMs: 2000, intervalMs: 10, what: 'not ready', gone: () => (running(c) ? undefined : `it exited (status ${c.exitCode})`) }), /it exited \(status 3\)/);
  await assert.rejects(waitReady(async () => false, { timeoutMs: 100, intervalMs: 10, what: 'not ready', gone: () => undefined }), /not ready within 0.1 s/);
});
