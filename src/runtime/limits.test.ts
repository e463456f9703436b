// Integration tests of what a dyno's size and attachment need from real containers: stats() from the
// cgroup (rss growing with allocation, runnable threads, undefined when gone), cpu.shares, the /app
// disk quota (ENOSPC past it, /tmp unaffected), stdin as a pipe, exec() in the same namespaces with
// its exit code, and a fork bomb held by the pids limit while the host and another container carry on.
// Skipped where runc cannot run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RuncRuntime } from './runc.ts';
import { defaultStackDir, ensureStack } from './stack.ts';
import { runcCanRun } from './index.ts';
import { NO_TENANT, type ContainerStats } from './types.ts';
import { containerHarness, hostLeftovers, processesNaming, testNetwork, within } from './test-helpers.ts';

const run = promisify(execFile);
const prefix = `slipway-ltest-${process.pid}-`;
const MiB = 1024 * 1024;

describe('container limits, stats, stdin and exec', { skip: !runcCanRun() && 'needs root, Linux and runc' }, () => {
  let stateDir: string;
  let lower: string;
  let rt: RuncRuntime;
  let owner: { uid: number; gid: number };
  const { spec, start, destroyAll } = containerHarness({
    prefix, runtime: () => rt, lower: () => lower, memoryLimitBytes: 512 << 20, pidsLimit: 128,
  });

  before(async () => {
    await ensureStack(defaultStackDir(), (line) => console.log(`stack: ${line}`));
    stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-limits-test-'));
    lower = path.join(stateDir, 'slug');
    await mkdir(lower);
    rt = new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...testNetwork() });
    owner = await rt.userFor(NO_TENANT);
    await chown(lower, owner.uid, owner.gid);
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await destroyAll();
    await rt?.cleanup(prefix);
    await rt?.removeFirewall();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });



  test('stats(): rss grows with what the process allocates; paging counted; undefined once gone', async () => {
    // Allocation waits for a line on stdin, so the two samples bracket it exactly.
    const py = [
      'import sys, time',
      'print("small", flush=True)',
      'sys.stdin.readline()',
      'b = b"x" * (150 * 1024 * 1024)', // written, so resident (a zeroed bytearray would not be)
      'print("big", flush=True)',
      'time.sleep(300)',
    ].join('\n');
    const { c, out } = await start(spec('', { argv: ['python3', '-c', py], stdin: true }));
    try {
      await out.waitFor('small');
      const small = (await c.stats())!;
      assert.ok(small.rssBytes > 1 * MiB && small.rssBytes < 100 * MiB, `idle python rss ${small.rssBytes}`);
      c.stdin!.write('go\n');
      await out.waitFor('big');
      const big = (await c.stats())!;
      assert.ok(big.rssBytes - small.rssBytes >= 140 * MiB, `rss grew by ${big.rssBytes - small.rssBytes}`);
      assert.ok(big.pgpgin > small.pgpgin, 'pages charged in');
      assert.ok(big.cacheBytes >= 0 && big.swapBytes >= 0);
      assert.ok(big.runnable >= 0);
    } finally {
      await within(c.destroy(), 'destroy');
    }
    assert.equal(await c.stats(), undefined);
  });

  test('stats(): busy threads show as runnable', async () => {
    const py = 'import threading\ndef spin():\n    while True: pass\nfor _ in range(2): threading.Thread(target=spin).start()\nspin()';
    const { c } = await start(spec('', { argv: ['python3', '-c', py] }));
    try {
      let best: ContainerStats | undefined;
      for (let i = 0; i < 50 && !(best && best.runnable >= 1); i++) {
        best = await c.stats();
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(best && best.runnable >= 1, `runnable ${best?.runnable}`);
    } finally {
      await within(c.destroy(), 'destroy');
    }
  });

  test('cpuShares lands in the cgroup\'s cpu.shares (1024 when not given)', async () => {
    const a = await start(spec('exec sleep 300', { cpuShares: 512 }));
    const b = await start(spec('exec sleep 300'));
    try {
      const shares = (id: string) => readFile(`/sys/fs/cgroup/cpu/slipway/${id}/cpu.shares`, 'utf8').then((s) => s.trim());
      assert.equal(await shares(a.c.id), '512');
      assert.equal(await shares(b.c.id), '1024');
    } finally {
      await within(a.c.destroy(), 'destroy a');
      await within(b.c.destroy(), 'destroy b');
    }
  });

  test('appDiskBytes: /app fills up at the quota with "No space left on device"; /tmp is unaffected', async () => {
    const quota = 32 * MiB;
    const { c, out, err } = await start(spec([
      'dd if=/dev/zero of=/app/fill bs=1M count=64 status=none; echo "app=$?"',
      'stat -c %s /app/fill',
      'dd if=/dev/zero of=/tmp/fill bs=1M count=40 status=none; echo "tmp=$?"',
      'rm /app/fill && echo small > /app/after && cat /app/after',
    ].join('\n'), { appDiskBytes: quota, tmpBytes: 64 * MiB }));
    try {
      assert.equal((await within(c.exited, 'exit', 60_000)).code, 0, err.text());
      const [app, size, tmp, after] = out.text().trim().split('\n');
      assert.equal(app, 'app=1');
      assert.match(err.text(), /No space left on device/);
      assert.ok(Number(size) >= quota && Number(size) < quota * 1.03, `wrote ${size} bytes`);
      assert.equal(tmp, 'tmp=0');
      assert.equal(after, 'small', 'space comes back when the file is removed');
    } finally {
      await within(c.destroy(), 'destroy');
    }
    assert.deepEqual(await hostLeftovers(stateDir, c.id), []);
  });

  test('stdin: a pipe into the container (cat echoes it, EOF ends it); absent unless asked for', async () => {
    const { c, out } = await start(spec('', { argv: ['cat'], stdin: true }));
    try {
      c.stdin!.write('hello\n');
      await out.waitFor('hello\n');
      // Supervised by its conmon alone, as a container without stdin is: no runc stays resident.
      const supervisors = (await processesNaming(c.id)).map((p) => path.basename(p.argv[0]!));
      assert.deepEqual(supervisors, ['conmon']);
      c.stdin!.end('world\n');
      assert.equal((await within(c.exited, 'exit')).code, 0);
      assert.equal(out.text(), 'hello\nworld\n');
      c.stdin!.write('after exit\n'); // EPIPE must not crash the platform
    } finally {
      await within(c.destroy(), 'destroy');
    }
    const none = await start(spec('test -t 0 && echo tty; read -r x; echo "read=$? [$x]"'));
    try {
      assert.equal(none.c.stdin, null);
      assert.equal((await within(none.c.exited, 'exit')).code, 0);
      assert.equal(none.out.text(), 'read=1 []\n');
    } finally {
      await within(none.c.destroy(), 'destroy');
    }
  });

  test('exec(): same pid namespace, user and cwd /app; the container\'s env unless given; its exit code', async () => {
    const { c } = await start(spec('exec sleep 300', { env: { PATH: '/usr/bin:/bin', FOO: 'bar' } }));
    try {
      assert.equal(await c.exec(['bash', '-c', 'test "$(cat /proc/1/comm)" = sleep && exit 7']), 7);
      assert.equal(await c.exec(['bash', '-c', `[ "$FOO" = bar ] && [ "$(id -u):$(id -g)" = ${owner.uid}:${owner.gid} ] && [ "$PWD" = /app ]`]), 0);
      assert.equal(await c.exec(['bash', '-c', '[ -z "$FOO" ] && [ "$X" = y ] && [ "$(hostname)" = web.1 ]'], { PATH: '/usr/bin:/bin', X: 'y' }), 0);
      assert.equal(await c.exec(['bash', '-c', 'grep -q "^CapEff:\\s*0*$" /proc/self/status']), 0, 'no capabilities');
      assert.equal(await c.exec(['bash', '-c', 'echo from-exec > /app/x']), 0);
      assert.equal(await c.exec(['grep', '-q', 'from-exec', '/app/x']), 0, 'same /app');
      assert.equal(await c.exec(['bash', '-c', 'kill -9 $$']), 137);
      await assert.rejects(c.exec(['/no/such/binary']), /exec in container .*no such file or directory/i);
    } finally {
      await within(c.destroy(), 'destroy');
    }
    await assert.rejects(c.exec(['true']), /exec in container/);
  });

  test('a fork bomb is held by the pids limit; the host and a second container stay healthy', async () => {
    const bomb = await start(spec(':(){ :|:& };: 2>/dev/null; exec sleep 300', { pidsLimit: 64, cpuShares: 256 }));
    try {
      const pidsCurrent = () => readFile(`/sys/fs/cgroup/pids/slipway/${bomb.c.id}/pids.current`, 'utf8').then(Number);
      const deadline = Date.now() + 10_000;
      while ((await pidsCurrent()) < 64 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await pidsCurrent(), 64, 'the bomb filled its pids limit and no further');
      const failures = Number((await readFile(`/sys/fs/cgroup/pids/slipway/${bomb.c.id}/pids.events`, 'utf8')).split(' ')[1]);
      assert.ok(failures > 0, 'forks were refused');

      const t0 = Date.now();
      const other = await start(spec('for i in $(seq 20); do /bin/true; done; echo healthy'));
      assert.equal((await within(other.c.exited, 'second container', 10_000)).code, 0);
      assert.equal(other.out.text(), 'healthy\n');
      await within(other.c.destroy(), 'destroy second');
      assert.equal((await within(run('true'), 'host spawn', 5_000)).stdout, '');
      assert.ok(Date.now() - t0 < 10_000);
    } finally {
      await within(bomb.c.destroy(), 'destroy the bomb');
    }
    assert.deepEqual(await hostLeftovers(stateDir, bomb.c.id, bomb.c.address), []);
  });
});
