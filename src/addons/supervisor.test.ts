// The supervisor with real child processes (sh and sleep stand in for the servers' process handling).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stopLeftover, Supervisor, type ServerSpec } from './supervisor.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'slipway-supervisor-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const until = async (check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) { if (await check()) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error('timed out');
};
const spec = (name: string, script: string): ServerSpec => ({
  name, command: ['sh', ['-c', script, name]], logFile: join(dir, `${name}.log`), stopSignal: 'SIGTERM',
  pidFile: join(dir, `${name}.pid`), comm: 'sh', ready: async () => existsSync(join(dir, `${name}.ready`)),
});

test('a server that exits while starting is reported with its log, and not restarted', async () => {
  const s = new Supervisor(() => undefined);
  const starts = join(dir, 'bad.starts');
  await assert.rejects(s.start(spec('bad', `echo "FATAL: cannot bind" ; echo x >> ${starts}; exit 1`)), /bad did not start: it exited \(status 1\)\nFATAL: cannot bind/);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await readFile(starts, 'utf8')).trim().split('\n').length, 1);
  assert.equal(s.has('bad'), false);
});

test('a ready server that dies is started again; stop() ends it for good', async () => {
  const lines: string[] = [];
  const s = new Supervisor((l) => lines.push(l));
  const pids = join(dir, 'good.pids');
  await s.start(spec('good', `echo $$ >> ${pids}; touch ${join(dir, 'good.ready')}; exec sleep 100`));
  const first = Number((await readFile(pids, 'utf8')).trim());
  process.kill(first, 'SIGKILL');
  await until(async () => (await readFile(pids, 'utf8')).trim().split('\n').length === 2);
  assert.match(lines[0]!, /good exited \(SIGKILL\); restarting in 1 s/);
  const second = Number((await readFile(pids, 'utf8')).trim().split('\n')[1]);
  await until(() => alive(second));
  await s.stopAll();
  assert.equal(alive(second), false);
});

test('a leftover named by a pid file is stopped only when its process name matches', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn('sleep', ['100'], { detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  await writeFile(join(dir, 'left.pid'), `${child.pid}\n`);
  await stopLeftover({ pidFile: join(dir, 'left.pid'), comm: 'postgres', stopSignal: 'SIGTERM' });
  assert.equal(alive(child.pid!), true, 'another program with that pid is left alone');
  await stopLeftover({ pidFile: join(dir, 'left.pid'), comm: 'sleep', stopSignal: 'SIGTERM' });
  await exited;
});

test('concurrent starts of one server share one process', async () => {
  const s = new Supervisor(() => undefined);
  const pids = join(dir, 'shared.pids');
  const sp = spec('shared', `echo $$ >> ${pids}; touch ${join(dir, 'shared.ready')}; exec sleep 100`);
  await Promise.all([s.start(sp), s.start(sp), s.start(sp)]);
  assert.equal((await readFile(pids, 'utf8')).trim().split('\n').length, 1);
  await s.stopAll();
});

test('a server runs at the kernel\'s default OOM score, not the platform\'s lowered (or any other) one', async () => {
  // The platform lowers its own score to -500 where the kernel lets it; this test process cannot count on
  // that (CAP_SYS_RESOURCE), so it raises its own instead (always allowed): a server that inherited its
  // parent's score would then show 300.
  await writeFile('/proc/self/oom_score_adj', '300');
  assert.equal((await readFile('/proc/self/oom_score_adj', 'utf8')).trim(), '300');
  const s = new Supervisor(() => undefined);
  const pids = join(dir, 'oom.pids');
  await s.start(spec('oom', `echo $$ >> ${pids}; sleep 100 & echo $! >> ${pids}; touch ${join(dir, 'oom.ready')}; wait`));
  try {
    const [server, forked] = (await readFile(pids, 'utf8')).trim().split('\n');
    for (const pid of [server, forked]) assert.equal((await readFile(`/proc/${pid}/oom_score_adj`, 'utf8')).trim(), '0', `process ${pid}`);
  } finally {
    await s.stopAll();
  }
});
