// Integration tests of the runc runtime through real containers on the real stack (built on first
// run, which takes about a minute): output, credentials, read-only root, namespaces, the private
// /app layer, /tmp, host networking, OOM, signals, and that destroy() and cleanup() leave nothing
// (namespaces, veths, loop mounts and firewall chains included).
// Skipped where runc cannot run (not root / not Linux / no runc).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuncRuntime } from './runc.ts';
import { defaultStackDir, ensureStack } from './stack.ts';
import { runcCanRun } from './index.ts';
import { NO_TENANT, type ContainerSpec } from './types.ts';
import { collect, exists, firewallLines, hostLeftovers, processesNaming, settledLeftovers, testNetwork, within, containerHarness } from './test-helpers.ts';

const prefix = `slipway-rtest-${process.pid}-`;
const network = testNetwork();

describe('runc runtime', { skip: !runcCanRun() && 'needs root, Linux and runc' }, () => {
  let stateDir: string;
  let lower: string;
  let rt: RuncRuntime;
  /** The uid containers without a tenant run as. */
  let owner: { uid: number; gid: number };
  const { spec, start, destroyAll, started } = containerHarness({
    prefix, runtime: () => rt, lower: () => lower, memoryLimitBytes: 256 << 20, pidsLimit: 128,
  });

  before(async () => {
    await ensureStack(defaultStackDir(), (line) => console.log(`stack: ${line}`));
    stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-runtime-test-'));
    rt = new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...network });
    owner = await rt.userFor(NO_TENANT);
    // A slug as the release would unpack it: owned by the build's (the tenant's) user.
    lower = path.join(stateDir, 'slug');
    await mkdir(lower);
    await writeFile(path.join(lower, 'hello.txt'), 'hello from the slug\n');
    await chown(lower, owner.uid, owner.gid);
    await chown(path.join(lower, 'hello.txt'), owner.uid, owner.gid);
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await destroyAll();
    await rt?.cleanup(prefix);
    await rt?.removeFirewall();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });



  /** Runs a script to completion and destroys its container, whatever happens. */
  async function runScript(script: string, over: Partial<ContainerSpec> = {}) {
    const { c, out, err } = await start(spec(script, over));
    try {
      const status = await within(c.exited, `exit of ${c.id}`);
      return { status, stdout: out.text(), stderr: err.text() };
    } finally {
      await within(c.destroy(), `destroy ${c.id}`);
    }
  }

  test('stdout and stderr are captured separately; the exit code is the process\'s', async () => {
    const r = await runScript('echo to-out; echo to-err >&2; exit 3');
    assert.equal(r.stdout, 'to-out\n');
    assert.equal(r.stderr, 'to-err\n');
    assert.deepEqual(r.status, { code: 3, oomKilled: false });
  });

  test('large output arrives complete and before exited resolves', async () => {
    const r = await runScript('seq 1 200000; seq 1 1000 >&2');
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 200001);
    assert.equal(lines[199999], '200000');
    assert.equal(r.stderr.split('\n').length, 1001);
  });

  test('the pids limit caps processes and threads', async () => {
    const py = [
      'import os, threading, time',
      'n = 0',
      'try:',
      '    for i in range(100):',
      '        threading.Thread(target=time.sleep, args=(10,), daemon=True).start(); n += 1',
      'except RuntimeError:',
      '    pass',
      'print(n, flush=True); os._exit(0)',
    ].join('\n');
    const r = await runScript('', { argv: ['python3', '-c', py], pidsLimit: 10 });
    assert.equal(r.status.code, 0, r.stderr);
    assert.ok(Number(r.stdout) < 10 && Number(r.stdout) > 0, `started ${r.stdout.trim()} threads`);
  });

  test('runs as its tenant\'s uid/gid (named dyno, not a host account) with no capabilities', async () => {
    const r = await runScript('id -u; id -g; id -un; grep CapEff /proc/self/status');
    assert.equal(r.stdout, `${owner.uid}\n${owner.gid}\ndyno\nCapEff:\t0000000000000000\n`);
    assert.ok(owner.uid >= 1_500_000_000);
    assert.ok(!(await readFile('/etc/passwd', 'utf8')).split('\n').some((l) => l.split(':')[2] === String(owner.uid)));
  });

  test('the stack is read-only', async () => {
    const r = await runScript('touch /usr/x; echo $?; test -e /etc/slipway-stack && cat /etc/slipway-stack');
    assert.match(r.stderr, /Read-only file system/);
    assert.equal(r.stdout, '1\nslipway-12\n');
  });

  test('pid namespace: the command is pid 1 and sees only its own processes', async () => {
    const r = await runScript('', { argv: ['ps', '-e', '-o', 'pid=,comm='] });
    assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.trim()), ['1 ps']);
  });

  test('hostname is the spec\'s; /tmp is a writable tmpfs of the given size', async () => {
    const r = await runScript('hostname; stat -f -c %T /tmp; df -k --output=size /tmp | tail -1; echo x > /tmp/f && cat /tmp/f', {
      hostname: 'worker.3', tmpBytes: 16 << 20,
    });
    assert.equal(r.stdout.replace(/ +/g, ''), 'worker.3\ntmpfs\n16384\nx\n');
  });

  test('/app is writable and private to the container; the slug is untouched', async () => {
    const a = await start(spec('cat /app/hello.txt; echo mine > /app/new.txt && echo written; exec sleep 60'));
    await a.out.waitFor('written');
    assert.equal(a.out.text(), 'hello from the slug\nwritten\n');
    const b = await runScript('ls -A /app; test -e /app/new.txt && echo visible || echo absent; touch /app/b.txt && echo ok');
    assert.equal(b.stdout, 'hello.txt\nabsent\nok\n');
    assert.deepEqual((await readdir(lower)).sort(), ['hello.txt']);
    await within(a.c.destroy(), 'destroy a');
    assert.equal((await within(a.c.exited, 'exit of a')).code, 137);
  });

  test('a running container keeps no runc process: its one supervisor is a conmon monitor', async () => {
    const { c } = await start(spec('exec sleep 60'));
    const supervisors: string[] = [];
    for (const pid of await readdir('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (argv.includes(c.id)) supervisors.push(path.basename(argv[0]!));
    }
    assert.deepEqual(supervisors, ['conmon']);
    await within(c.destroy(), 'destroy');
    assert.equal((await within(c.exited, 'exit')).code, 137);
  });

  test('attack: a dyno cannot change the shared slug, and its writes never reach a dyno beside it', async () => {
    // The slug is the release's one unpacked copy, owned by the dyno's own uid: every way of changing
    // it through /app, and through the host path /proc/self/mountinfo names, must stay in the dyno.
    const before = await stat(path.join(lower, 'hello.txt'));
    const b = await start(spec('exec sleep 60'));
    const a = await runScript([
      'echo pwned > /app/hello.txt; chmod 777 /app/hello.txt; echo planted > /app/planted.txt; mkdir /app/dir',
      'ln -s /etc/passwd /app/link; mv /app/hello.txt /app/moved.txt; cp /app/moved.txt /app/hello.txt',
      'lowerdir=$(grep -o "lowerdir=[^,]*" /proc/self/mountinfo | head -n1 | cut -d= -f2)',
      'echo pwned > "$lowerdir/hello.txt" 2>/dev/null && echo WROTE-LOWER',
      'mount -o remount,rw /app 2>/dev/null && echo REMOUNTED',
      'cat /app/hello.txt; ls -A /app | tr "\\n" " "',
    ].join('\n'));
    assert.equal(a.stdout, 'pwned\ndir hello.txt link moved.txt planted.txt ', a.stderr);
    const seen = await runScript('cat /app/hello.txt; ls -A /app');
    assert.equal(seen.stdout, 'hello from the slug\nhello.txt\n', 'a later dyno sees the slug as it was');
    assert.equal(await within(b.c.exec(['/bin/bash', '-c', 'test "$(cat /app/hello.txt)" = "hello from the slug" && test ! -e /app/planted.txt']), 'exec in b'), 0,
      'a dyno running beside it sees none of its writes');
    assert.deepEqual((await readdir(lower)).sort(), ['hello.txt']);
    assert.equal(await readFile(path.join(lower, 'hello.txt'), 'utf8'), 'hello from the slug\n');
    const after = await stat(path.join(lower, 'hello.txt'));
    assert.equal(after.mode, before.mode);
    assert.equal(after.mtimeMs, before.mtimeMs);
  });

  test('bind mounts: rw and ro as asked; mount points outside /tmp and /app must exist in the stack', async () => {
    const rw = path.join(stateDir, 'bind-rw');
    const ro = path.join(stateDir, 'bind-ro');
    await mkdir(rw);
    await mkdir(ro);
    await chown(rw, owner.uid, owner.gid);
    await writeFile(path.join(ro, 'in.txt'), 'ro-data\n');
    const r = await runScript('echo built > /tmp/build/out.txt && cat /tmp/ro/in.txt; touch /tmp/ro/x 2>/dev/null || echo ro-denied', {
      mounts: [
        { source: rw, destination: '/tmp/build', readonly: false },
        { source: ro, destination: '/tmp/ro', readonly: true },
      ],
    });
    assert.equal(r.stdout, 'ro-data\nro-denied\n');
    assert.equal(await readFile(path.join(rw, 'out.txt'), 'utf8'), 'built\n');
    const s = spec('true', { mounts: [{ source: rw, destination: '/nonexistent-dir', readonly: true }] });
    await assert.rejects(rt.start(s), /does not exist in the stack/);
    assert.deepEqual(await hostLeftovers(stateDir, s.id), []);
  });

  test('network host: a server on the host\'s 127.0.0.1 is reachable; the address is 127.0.0.1', async (t) => {
    const server = createServer((sock) => sock.end('hello-from-host\n'));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const { c, out } = await start(spec(`exec 3<>/dev/tcp/127.0.0.1/${port}; cat <&3`, { network: 'host' }));
    try {
      assert.equal(c.address, '127.0.0.1');
      assert.equal((await within(c.exited, 'exit')).code, 0);
      assert.equal(out.text(), 'hello-from-host\n');
    } finally {
      await within(c.destroy(), 'destroy');
    }
  });

  test('allocating past the memory limit gets the process OOM-killed: code 137, oomKilled', async () => {
    const r = await runScript('', {
      argv: ['python3', '-c', 'b = bytearray(200 * 1024 * 1024); print("survived")'],
      memoryLimitBytes: 64 << 20,
    });
    assert.deepEqual(r.status, { code: 137, oomKilled: true });
    assert.equal(r.stdout, '');
  });

  test('signal(SIGTERM) reaches a trapping process', async () => {
    const { c, out } = await start(spec("trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.1; done"));
    try {
      await out.waitFor('ready');
      await c.signal('SIGTERM');
      assert.deepEqual(await within(c.exited, 'exit after SIGTERM'), { code: 42, oomKilled: false });
      assert.equal(out.text(), 'ready\ngot-term\n');
      await c.signal('SIGTERM'); // after exit: not an error
    } finally {
      await within(c.destroy(), 'destroy');
    }
  });

  test('a command that cannot start is an error and leaves nothing', async () => {
    const s = spec('', { argv: ['/no/such/binary'] });
    await assert.rejects(within(rt.start(s), 'failing start'), /runc could not start container/);
    assert.deepEqual(await hostLeftovers(stateDir, s.id), []);
  });

  test('destroy() of a running container leaves nothing behind (netns, veth, /app disk too) and is idempotent', async () => {
    const { c, out } = await start(spec('echo up; exec sleep 300', { appDiskBytes: 32 << 20 }));
    await out.waitFor('up');
    assert.ok(await exists(path.join('/sys/fs/cgroup/memory/slipway', c.id)), 'cgroup exists while running');
    assert.ok(await exists(path.join(stateDir, 'runc', c.id)), 'runc state exists while running');
    assert.ok((await hostLeftovers(stateDir, c.id)).some((l) => l.startsWith('veth')), 'veth exists while running');
    assert.ok((await hostLeftovers(stateDir, c.id)).some((l) => l.startsWith('loop device')), 'loop device exists while running');
    await within(c.destroy(), 'destroy');
    await within(c.destroy(), 'second destroy');
    assert.equal((await c.exited).code, 137);
    assert.deepEqual(await hostLeftovers(stateDir, c.id, c.address), []);
    assert.throws(() => process.kill(c.pid, 0), /ESRCH/);
  });

  test('cleanup(prefix) removes containers a SIGKILLed platform process left running', async () => {
    // A separate platform process starts a dyno (isolated network, /app disk) and an attached one-off
    // (stdin from the platform), then dies without a chance to clean up.
    const id = `${prefix}orphan`;
    const attached = `${prefix}orphan-attached`;
    const script = path.join(stateDir, 'orphan.mts');
    await writeFile(script, `
      import { RuncRuntime } from ${JSON.stringify(path.resolve(import.meta.dirname, 'runc.ts'))};
      const rt = new RuncRuntime(${JSON.stringify({ stackDir: defaultStackDir(), stateDir, ...network })});
      const c = await rt.start(${JSON.stringify(spec('exec sleep 300', { id, appDiskBytes: 32 << 20 }))});
      const a = await rt.start(${JSON.stringify(spec('exec sleep 300', { id: attached, stdin: true }))});
      console.log('started', c.pid, c.address, a.pid);
      setInterval(() => {}, 1000);
    `);
    const platform = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let orphanPid = 0;
    let attachedPid = 0;
    let address = '';
    try {
      const out = collect(platform.stdout);
      await out.waitFor('started');
      const m = /started (\d+) (\S+) (\d+)/.exec(out.text())!;
      orphanPid = Number(m[1]);
      address = m[2]!;
      attachedPid = Number(m[3]);
    } finally {
      platform.kill('SIGKILL');
    }
    assert.ok(orphanPid > 0 && attachedPid > 0);
    // Both still run after their platform died, each under its conmon.
    process.kill(orphanPid, 0);
    process.kill(attachedPid, 0);
    assert.deepEqual((await processesNaming(attached)).map((p) => path.basename(p.argv[0]!)), ['conmon']);
    const before = await hostLeftovers(stateDir, id);
    for (const kind of ['network namespace', 'veth', 'loop device', 'cgroup', 'bundle dir']) {
      assert.ok(before.some((l) => l.startsWith(kind)), `${kind} left by the crash: ${before.join(', ')}`);
    }

    await within(new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...network }).cleanup(prefix), 'cleanup');
    // The orphaned monitors notice their containers are gone and exit; give them a bounded moment.
    assert.deepEqual(await settledLeftovers(stateDir, id, address), []);
    assert.deepEqual(await settledLeftovers(stateDir, attached), []);
    assert.throws(() => process.kill(attachedPid, 0), /ESRCH/);
  });

  test('nothing of this suite is left running', async () => {
    for (const c of started) await within(c.destroy(), `destroy ${c.id}`);
    const runcList = await new Promise<string>((resolve) => {
      const p = spawn('runc', ['--root', path.join(stateDir, 'runc'), 'list', '-q'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let s = '';
      p.stdout.on('data', (d) => (s += d));
      p.on('close', () => resolve(s));
    });
    assert.equal(runcList.trim(), '');
    assert.deepEqual(await readdir(path.join(stateDir, 'containers')), []);
    const cgroups = await readdir('/sys/fs/cgroup/memory/slipway').catch(() => [] as string[]);
    assert.deepEqual(cgroups.filter((n) => n.startsWith(prefix)), []);
    assert.deepEqual((await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix)), []);
    // The firewall chains are per runtime, not per container: removable, and then gone entirely.
    assert.ok((await firewallLines(network.firewallChainPrefix!)).length > 0);
    await rt.removeFirewall();
    await rt.removeFirewall();
    assert.deepEqual(await firewallLines(network.firewallChainPrefix!), []);
  });
});
