// Tests of the process runtime (the not-isolated fallback) with real child processes: the warning,
// output and exit codes, the /app copy and path mapping, signals to the whole process group, and
// that exit, destroy() and cleanup() leave no process or directory behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { PROCESS_RUNTIME_WARNING, ProcessRuntime, rewritePaths, translate, type ProcessContainer } from './process.ts';
import { createRuntime } from './index.ts';
import type { ContainerSpec } from './types.ts';

const WAIT_MS = 10_000;
const prefix = `slipway-ptest-${process.pid}-`;

function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function collect(stream: Readable): () => string {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => (buf += d));
  return () => buf;
}

async function waitUntil(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('translate maps container paths through the deepest mount', () => {
  const map = { '/app': '/s/c1/app', '/tmp/build': '/h/build', '/tmp/build/cache': '/h/cache' };
  assert.equal(translate('/app', map), '/s/c1/app');
  assert.equal(translate('/app/web/', map), '/s/c1/app/web');
  assert.equal(translate('/tmp/build/cache/x', map), '/h/cache/x');
  assert.equal(translate('/tmp/builder', map), '/tmp/builder');
  assert.equal(translate('/usr/bin', map), '/usr/bin');
});

describe('process runtime', () => {
  let stateDir: string;
  let lower: string;
  let rt: ProcessRuntime;
  const warnings: string[] = [];
  const started: ProcessContainer[] = [];
  let seq = 0;

  before(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-process-test-'));
    lower = path.join(stateDir, 'slug');
    await mkdir(lower);
    await writeFile(path.join(lower, 'hello.txt'), 'hello\n');
    rt = new ProcessRuntime({ stateDir, warn: (l) => warnings.push(l) });
  });

  after(async () => {
    for (const c of started) await c.destroy().catch(() => undefined);
    await rt?.cleanup(prefix);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  function spec(script: string, over: Partial<ContainerSpec> = {}): ContainerSpec {
    return {
      id: `${prefix}${++seq}`,
      hostname: 'web.1',
      argv: ['bash', '-c', script],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONLY: 'this' },
      cwd: '/app',
      app: { lower },
      mounts: [],
      memoryLimitBytes: 64 << 20,
      pidsLimit: 64,
      ...over,
    };
  }

  async function start(s: ContainerSpec) {
    const c = await within(rt.start(s), `start ${s.id}`);
    started.push(c);
    return { c, out: collect(c.stdout), err: collect(c.stderr) };
  }

  test('warns loudly at construction and at every start; the host is the stack', async () => {
    assert.deepEqual(warnings, [PROCESS_RUNTIME_WARNING]);
    assert.equal(rt.stackDir, '/');
    assert.equal(rt.name, 'process');
    const { c } = await start(spec('true'));
    await within(c.exited, 'exit');
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, /NOT isolated/);
    const seen: string[] = [];
    assert.equal(createRuntime({ kind: 'process', stateDir, warn: (l) => seen.push(l) }).name, 'process');
    assert.deepEqual(seen, [PROCESS_RUNTIME_WARNING]);
  });

  test('output, exit code, environment exactly as given', async () => {
    const { c, out, err } = await start(spec('', { argv: ['env'] }));
    assert.deepEqual(await within(c.exited, 'exit'), { code: 0, oomKilled: false });
    assert.deepEqual(out().trim().split('\n').sort(), [`ONLY=this`, `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`]);
    assert.equal(err(), '');
    const r = await start(spec('echo o; echo e >&2; exit 7'));
    assert.equal((await within(r.c.exited, 'exit')).code, 7);
    assert.equal(r.out(), 'o\n');
    assert.equal(r.err(), 'e\n');
  });

  test('/app is a private copy: cwd maps to it, writes stay out of the slug, destroy() removes it', async () => {
    const { c, out } = await start(spec('pwd; cat hello.txt; echo new > new.txt'));
    assert.equal((await within(c.exited, 'exit')).code, 0);
    const copy = c.mountMap['/app']!;
    assert.equal(out(), `${copy}\nhello\n`);
    assert.equal(await readFile(path.join(copy, 'new.txt'), 'utf8'), 'new\n');
    assert.deepEqual(await readdir(lower), ['hello.txt']);
    await c.destroy();
    await c.destroy();
    await assert.rejects(stat(copy));
  });

  test('signal() reaches every process of the group; exit takes the stragglers down', async () => {
    const { c, out } = await start(spec("sleep 300 & echo $!; trap 'echo term; exit 5' TERM; while :; do sleep 0.05; done"));
    await waitUntil(() => out().includes('\n'), 'child pid');
    const child = Number(out().trim());
    assert.ok(alive(child));
    await c.signal('SIGTERM');
    assert.equal((await within(c.exited, 'exit')).code, 5);
    await waitUntil(() => !alive(child), 'background child gone');

    const r = await start(spec('sleep 300 & echo $!; exit 0'));
    assert.equal((await within(r.c.exited, 'exit')).code, 0);
    const straggler = Number(r.out().trim());
    await waitUntil(() => !alive(straggler), 'straggler gone after init exit');
  });

  test('SIGKILL gives 137; destroy() of a running container kills it', async () => {
    const { c } = await start(spec('exec sleep 300'));
    await c.signal('SIGKILL');
    assert.equal((await within(c.exited, 'exit')).code, 137);
    const r = await start(spec('exec sleep 300'));
    await within(r.c.destroy(), 'destroy');
    assert.ok(!alive(r.c.pid));
  });

  test('cleanup(prefix) kills what a previous platform process left and removes its dirs', async () => {
    const { c } = await start(spec('exec sleep 300'));
    const fresh = new ProcessRuntime({ stateDir, warn: () => undefined });
    await fresh.cleanup(prefix);
    assert.equal((await within(c.exited, 'exit')).code, 137);
    assert.deepEqual((await readdir(path.join(stateDir, 'containers'))).filter((n) => n.startsWith(prefix)), []);
  });

  test('no network namespace: the address is 127.0.0.1; stdin is a pipe when asked for', async () => {
    const { c, out } = await start(spec('', { argv: ['cat'], stdin: true, network: 'isolated' }));
    assert.equal(c.address, '127.0.0.1');
    c.stdin!.end('piped\n');
    assert.equal((await within(c.exited, 'exit')).code, 0);
    assert.equal(out(), 'piped\n');
    const none = await start(spec('read -r x; echo "read=$?"'));
    assert.equal(none.c.stdin, null);
    assert.equal((await within(none.c.exited, 'exit')).code, 0);
    assert.equal(none.out(), 'read=1\n');
  });

  test('exec() runs in /app with the container\'s env unless given and returns the exit code; destroy() ends it', async () => {
    const { c } = await start(spec('exec sleep 300'));
    try {
      assert.equal(await c.exec(['bash', '-c', '[ "$ONLY" = this ] && [ -f hello.txt ] && exit 4']), 4);
      assert.equal(await c.exec(['bash', '-c', '[ -z "$ONLY" ] && [ "$X" = y ]'], { PATH: process.env.PATH ?? '/usr/bin:/bin', X: 'y' }), 0);
      const long = c.exec(['sleep', '300']);
      await c.destroy();
      assert.equal(await within(long, 'exec ended by destroy'), 137);
    } finally {
      await c.destroy();
    }
    await assert.rejects(c.exec(['true']), /has exited/);
  });

  test('stats() sums the process group from /proc; undefined once it has exited', { skip: process.platform !== 'linux' }, async () => {
    const { c } = await start(spec('', { argv: ['python3', '-c', 'b = b"x" * (64 * 1024 * 1024); import time; time.sleep(300)'] }));
    try {
      let s = await c.stats();
      const deadline = Date.now() + WAIT_MS;
      while ((s?.rssBytes ?? 0) < 64 << 20 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        s = await c.stats();
      }
      assert.ok(s && s.rssBytes >= 64 << 20, `rss ${s?.rssBytes}`);
    } finally {
      await c.destroy();
    }
    assert.equal(await c.stats(), undefined);
  });

  test('a missing command is a start error and leaves no directory', async () => {
    const s = spec('', { argv: ['/no/such/binary'] });
    await assert.rejects(rt.start(s), /ENOENT/);
    await assert.rejects(stat(path.join(stateDir, 'containers', s.id)));
  });
});

test('container paths in the command line and environment are rewritten to their host paths', () => {
  const m = { '/app': '/s/app', '/tmp/build_ab': '/h/b', '/tmp/cache': '/h/c' };
  assert.equal(rewritePaths('cd /tmp/build_ab && exec /tmp/buildpacks/0/bin/compile /tmp/build_ab /tmp/cache /tmp/env', m),
    'cd /h/b && exec /tmp/buildpacks/0/bin/compile /h/b /h/c /tmp/env');
  assert.equal(rewritePaths('for f in /app/.profile.d/*.sh; do', m), 'for f in /s/app/.profile.d/*.sh; do');
  assert.equal(rewritePaths('/app', m), '/s/app');
  assert.equal(rewritePaths('/apple /tmp/cachex', m), '/apple /tmp/cachex', 'only whole path components');
});
