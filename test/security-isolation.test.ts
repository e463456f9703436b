// Issue #9 point 7, attacked from inside real dynos on a real platform: no user namespace (`unshare -Ur`),
// the seccomp profile's denied calls fail, each app runs as a uid of its own that is no host account, so
// another app's dyno environment (config vars) cannot be read even by a process that escaped its pid
// namespace; and the apps still serve, write their /app, HOME and /tmp, and build again with their cache.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeRepo, TestPlatform } from './helpers/platform.ts';
import { runcCanRun } from '../src/runtime/index.ts';

const run = promisify(execFile);

/** Raw system calls (x86-64 numbers) from Python's ctypes; each reports `ok` or its errno's text. */
const SYSCALLS = `
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
L = ctypes.c_long
calls = {
  'keyctl': (250, L(0), L(-3), L(1)), 'add_key': (248, b'user', b'x', b'y', L(1), L(-2)),
  'request_key': (249, b'user', b'x', None, L(0)), 'bpf': (321, L(5), None, L(0)), 'userfaultfd': (323, L(1)),
  'perf_event_open': (298, None, L(0), L(-1), L(-1), L(0)), 'mount': (165, b'none', b'/tmp', b'tmpfs', L(0), None),
  'unshare_newuser': (272, L(0x10000000)), 'setns': (308, L(0), L(0)), 'init_module': (175, None, L(0), b''),
  'finit_module': (313, L(0), b'', L(0)), 'kexec_load': (246, L(0), L(0), None, L(0)),
  'open_by_handle_at': (304, L(0), None, L(0)), 'clone_newuser': (56, L(0x10000011), L(0), L(0), L(0), L(0)),
  'clone3': (435, None, L(0)), 'io_uring_setup': (425, L(1), None), 'getpid': (39,),
}
out = {}
for name, (nr, *args) in calls.items():
    ctypes.set_errno(0)
    r = libc.syscall(L(nr), *args)
    if r == 0 and name == 'clone_newuser':
        os._exit(0)
    out[name] = 'ok' if r >= 0 else os.strerror(ctypes.get_errno())
print('SYSCALLS ' + json.dumps(out))
`;

describe('security: isolation of dynos and builds', { skip: (!runcCanRun() || process.arch !== 'x64') && 'needs root, runc and x86-64' }, () => {
  const p = new TestPlatform();
  let work: string;
  const uid: Record<string, number> = {};

  /** A one-off dyno's output (attached, as `slipway run`). */
  async function oneOff(app: string, argv: string[]): Promise<string> {
    const r = await p.cli(['run', '-a', app, '--', ...argv]);
    return r.stdout.replace(/\r/g, '');
  }

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-iso-'));
    await p.start();
    for (const app of ['alpha', 'beta']) {
      await p.deployFixture('node-app', app, work, 'node-app-v1');
      await p.request('PATCH', `/apps/${app}/config-vars`, { SECRET: `secret-of-${app}` });
      await p.waitFor(app, 'node-app-v1');
      uid[app] = JSON.parse((await p.route(app, '/whoami')).body).uid;
    }
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('each app runs as a uid of its own, high above host accounts, that no host login user has', async () => {
    assert.notEqual(uid.alpha, uid.beta, 'two apps never share a uid');
    const hostUids = (await readFile('/etc/passwd', 'utf8')).split('\n').map((l) => Number(l.split(':')[2]));
    for (const app of ['alpha', 'beta']) {
      assert.ok(uid[app]! >= 1_500_000_000, `${app} runs as ${uid[app]}`);
      assert.ok(!hostUids.includes(uid[app]!), `${app}'s uid is a host account`);
    }
    // Its one-off dynos share it, and the stack's tools see the name dyno.
    assert.match(await oneOff('alpha', ['sh', '-c', 'echo "me=$(id -u) $(id -un)"']), new RegExp(`me=${uid.alpha} dyno`));
  });

  test('unshare -Ur in a dyno fails: no user namespace, no root in one', async () => {
    const out = await oneOff('alpha', ['sh', '-c', 'unshare -Ur id; echo "userns-rc=$?"']);
    assert.match(out, /userns-rc=[1-9]/);
    assert.doesNotMatch(out, /uid=0\(root\)/);
    assert.match(out, /Operation not permitted/);
  });

  test('the calls the seccomp profile denies fail with EPERM (clone3 with ENOSYS); ordinary calls work', async () => {
    const out = await oneOff('alpha', ['python3', '-c', SYSCALLS]);
    const line = out.split('\n').find((l) => l.startsWith('SYSCALLS '));
    assert.ok(line, `no report from the dyno: ${out}`);
    const got = JSON.parse(line.slice('SYSCALLS '.length)) as Record<string, string>;
    assert.equal(got.getpid, 'ok');
    assert.equal(got.clone3, 'Function not implemented');
    for (const [name, result] of Object.entries(got)) {
      if (name !== 'getpid' && name !== 'clone3') assert.equal(result, 'Operation not permitted', `${name}: ${result}`);
    }
  });

  test('another app\'s dyno environment cannot be read: not from a dyno, nor as the app\'s uid on the host', async () => {
    const pid = await hostPidOf(uid.beta!, 'node');
    // The attacker is alpha's code. Inside its dyno, beta's processes do not exist (pid namespace)...
    const inside = await oneOff('alpha', ['sh', '-c', `cat /proc/${pid}/environ; echo "rc=$?"; ls /proc | grep -c '^[0-9]'`]);
    assert.doesNotMatch(inside, /secret-of-beta/);
    assert.match(inside, /rc=1/);
    // ...and a process of alpha's that got out of it (same uid, no capabilities) is refused by the kernel.
    const asAlpha = await asUser(uid.alpha!, ['cat', `/proc/${pid}/environ`]);
    assert.notEqual(asAlpha.code, 0);
    assert.match(asAlpha.stderr, /Permission denied/);
    assert.doesNotMatch(asAlpha.stdout, /secret-of-beta/);
    // The same read as beta's own uid works: what refused alpha is the uid, nothing else.
    const asBeta = await asUser(uid.beta!, ['cat', `/proc/${pid}/environ`]);
    assert.match(asBeta.stdout, /secret-of-beta/);
  });

  test('the app still serves and writes its /app, HOME and /tmp; a rebuild uses its cache, owned by its uid', async () => {
    assert.equal((await p.route('alpha', '/write-app')).body, 'ok');
    const out = await oneOff('alpha', ['sh', '-c', 'echo more >> /app/index.js && touch /app/new "$HOME/.x" /tmp/x && echo "writes-ok $HOME"']);
    assert.match(out, /writes-ok \/app/);
    const apps = (await p.request('GET', '/apps')).body as { id: string; name: string }[];
    const alphaId = apps.find((a) => a.name === 'alpha')!.id;
    // The build cache is a filesystem image of the app's own, mounted for builds: look inside it.
    const look = await mkdtemp(join(tmpdir(), 'cache-look-'));
    await run('mount', ['-o', 'loop,ro', join(p.dataDir, 'cache', `${alphaId}.img`), look]);
    try {
      assert.equal((await stat(look)).uid, uid.alpha);
    } finally {
      await run('umount', [look]);
      await rm(look, { recursive: true, force: true });
    }
    const dir = join(work, 'alpha');
    await writeFile(join(dir, 'touched.txt'), 'again\n');
    await makeRepo(dir, {}, 'again');
    const push = await p.push(dir, 'alpha');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('alpha', 'node-app-v1');
    await p.waitFor('beta', 'node-app-v1');
    assert.equal(JSON.parse((await p.route('alpha', '/whoami')).body).uid, uid.alpha, 'the new release runs as the same uid');
  });
});

/** The host pid of a process of `uid` whose command line contains `word`. */
async function hostPidOf(uid: number, word: string): Promise<number> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status) && cmdline.includes(word)) return Number(name);
  }
  throw new Error(`no process of uid ${uid} running ${word}`);
}

/** Runs argv on the host as `uid` with no capabilities and no groups. */
async function asUser(uid: number, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--', ...argv]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
