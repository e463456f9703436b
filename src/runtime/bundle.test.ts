// Unit tests of the pure OCI config generation: credentials, namespaces, mounts, limits, validation,
// and the process `runc exec` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CPU_SHARES, DEFAULT_TMP_BYTES, NOFILE_LIMIT, execProcess, ociConfig, validateSpec, type BundleInput } from './bundle.ts';
import type { ContainerSpec } from './types.ts';

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id: 'slipway-app-web.1-abc',
    hostname: 'web.1',
    argv: ['bash', '-c', 'exec node server.js'],
    env: { PATH: '/usr/bin:/bin', PORT: '5000', WEIRD: 'a=b c' },
    cwd: '/app',
    app: { lower: '/var/lib/slipway/slugs/v3' },
    mounts: [],
    memoryLimitBytes: 512 << 20,
    pidsLimit: 256,
    ...over,
  };
}

function input(over: Partial<BundleInput> = {}): BundleInput {
  return {
    spec: spec(),
    rootDir: '/stack',
    appLayer: { upper: '/state/c/upper', work: '/state/c/work' },
    hostsFile: '/etc/hosts',
    resolvConf: '/etc/resolv.conf',
    memsw: true,
    netnsPath: '/run/netns/slipway-app-web.1-abc',
    user: { uid: 1_500_000_123, gid: 1_500_000_123 },
    ...over,
  };
}

test('process: the tenant\'s uid/gid, no capabilities, no new privileges, NOFILE limit, env and argv as given', () => {
  const c = ociConfig(input());
  assert.deepEqual(c.process.user, { uid: 1_500_000_123, gid: 1_500_000_123, additionalGids: [1_500_000_123] });
  for (const set of Object.values(c.process.capabilities)) assert.deepEqual(set, []);
  assert.equal(c.process.noNewPrivileges, true);
  assert.equal(c.process.oomScoreAdj, 0, 'a tenant never inherits the platform\'s lowered OOM score');
  assert.equal(ociConfig(input({ oomScoreAdj: 500 })).process.oomScoreAdj, 500, 'above a platform that could not lower its own');
  assert.equal(c.process.terminal, false);
  assert.deepEqual(c.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: NOFILE_LIMIT, soft: NOFILE_LIMIT }]);
  assert.deepEqual(c.process.args, ['bash', '-c', 'exec node server.js']);
  assert.deepEqual(c.process.env, ['PATH=/usr/bin:/bin', 'PORT=5000', 'WEIRD=a=b c']);
  assert.equal(c.process.cwd, '/app');
});

test('root is the stack, read-only; hostname; pid/mount/uts/ipc namespaces and the prepared network namespace', () => {
  const c = ociConfig(input());
  assert.deepEqual(c.root, { path: '/stack', readonly: true });
  assert.equal(c.hostname, 'web.1');
  assert.deepEqual(c.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.deepEqual(c.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/run/netns/slipway-app-web.1-abc' });
});

test('network: host joins no network namespace; isolated without a prepared one is refused (never silently host)', () => {
  const host = ociConfig(input({ spec: spec({ network: 'host' }), netnsPath: undefined }));
  assert.deepEqual(host.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'pid', 'uts']);
  assert.throws(() => ociConfig(input({ netnsPath: undefined })), /isolated network without a network namespace/);
  assert.throws(() => ociConfig(input({ spec: spec({ network: 'isolated' }), netnsPath: undefined })), /network namespace/);
});

test('cpu shares: the spec\'s, else one standard share', () => {
  assert.deepEqual(ociConfig(input()).linux.resources.cpu, { shares: DEFAULT_CPU_SHARES });
  assert.equal(DEFAULT_CPU_SHARES, 1024);
  assert.deepEqual(ociConfig(input({ spec: spec({ cpuShares: 2048 }) })).linux.resources.cpu, { shares: 2048 });
});

test('resources: memory with equal memsw when accounted, pids, cgroup path under /slipway', () => {
  const c = ociConfig(input());
  assert.deepEqual(c.linux.resources.memory, { limit: 512 << 20, swap: 512 << 20 });
  assert.deepEqual(c.linux.resources.pids, { limit: 256 });
  assert.equal(c.linux.cgroupsPath, '/slipway/slipway-app-web.1-abc');
  const noSwapAccounting = ociConfig(input({ memsw: false }));
  assert.deepEqual(noSwapAccounting.linux.resources.memory, { limit: 512 << 20 });
});

test('mounts: proc, dev, sysfs ro, /tmp tmpfs with size and 1777, resolv.conf and hosts ro', () => {
  const c = ociConfig(input({ hostsFile: '/data/hosts' }));
  const at = (d: string) => c.mounts.find((m) => m.destination === d);
  assert.equal(at('/proc')?.type, 'proc');
  assert.equal(at('/dev')?.type, 'tmpfs');
  assert.equal(at('/dev/pts')?.type, 'devpts');
  assert.equal(at('/dev/shm')?.type, 'tmpfs');
  assert.ok(at('/sys')?.options.includes('ro'));
  assert.deepEqual(at('/tmp')?.options, ['nosuid', 'nodev', 'mode=1777', `size=${DEFAULT_TMP_BYTES}`]);
  assert.ok(ociConfig(input({ spec: spec({ tmpBytes: 1 << 20 }) })).mounts.some((m) => m.options.includes('size=1048576')));
  assert.deepEqual(at('/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/data/hosts', options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  assert.equal(at('/etc/resolv.conf')?.source, '/etc/resolv.conf');
});

test('/app is an overlay of the slug with the private upper/work dirs', () => {
  const app = ociConfig(input()).mounts.find((m) => m.destination === '/app');
  assert.equal(app?.type, 'overlay');
  assert.ok(app?.options.includes('lowerdir=/var/lib/slipway/slugs/v3'));
  assert.ok(app?.options.includes('upperdir=/state/c/upper'));
  assert.ok(app?.options.includes('workdir=/state/c/work'));
  const build = ociConfig(input({ spec: spec({ app: undefined }), appLayer: undefined }));
  assert.equal(build.mounts.find((m) => m.destination === '/app'), undefined);
  assert.throws(() => ociConfig(input({ appLayer: undefined })), /writable layer/);
});

test('extra mounts are binds, ro or rw, parents before children, after the standard ones', () => {
  const c = ociConfig(input({
    spec: spec({
      mounts: [
        { source: '/h/cache', destination: '/tmp/build/cache/', readonly: false },
        { source: '/h/build', destination: '/tmp/build', readonly: false },
        { source: '/h/bp', destination: '/tmp/buildpacks', readonly: true },
      ],
    }),
  }));
  const extra = c.mounts.slice(c.mounts.findIndex((m) => m.destination === '/app') + 1);
  assert.deepEqual(extra.map((m) => m.destination), ['/tmp/build', '/tmp/buildpacks', '/tmp/build/cache']);
  assert.deepEqual(extra[1]!.options, ['rbind', 'ro', 'nosuid', 'nodev']);
  assert.deepEqual(extra[0]!.options, ['rbind', 'rw', 'nosuid', 'nodev']);
  const tmp = c.mounts.findIndex((m) => m.destination === '/tmp');
  assert.ok(tmp < c.mounts.findIndex((m) => m.destination === '/tmp/build'));
});

test('validation rejects what runc or overlayfs would misread', () => {
  const bad: [Partial<ContainerSpec>, RegExp][] = [
    [{ id: '../x' }, /id/],
    [{ id: '' }, /id/],
    [{ hostname: 'a b' }, /hostname/],
    [{ hostname: 'x'.repeat(65) }, /hostname/],
    [{ argv: [] }, /argv/],
    [{ env: { 'A=B': '1' } }, /environment/],
    [{ env: { A: 'x\0y' } }, /NUL/],
    [{ cwd: 'app' }, /cwd/],
    [{ memoryLimitBytes: 0 }, /memory/],
    [{ memoryLimitBytes: NaN }, /memory/],
    [{ pidsLimit: 0 }, /pids/],
    [{ tmpBytes: 10 }, /tmpBytes/],
    [{ app: { lower: '/a,b' } }, /app.lower/],
    [{ app: { lower: '/a:b' } }, /app.lower/],
    [{ app: { lower: 'rel' } }, /app.lower/],
    [{ mounts: [{ source: 'rel', destination: '/x', readonly: true }] }, /absolute/],
    [{ mounts: [{ source: '/x', destination: '/', readonly: true }] }, /over \//],
    [{ cpuShares: 1 }, /cpuShares/],
    [{ cpuShares: 262145 }, /cpuShares/],
    [{ cpuShares: 100.5 }, /cpuShares/],
    [{ appDiskBytes: 1024 * 1024 }, /appDiskBytes must be at least 16 MB/],
    [{ appDiskBytes: NaN }, /appDiskBytes/],
    [{ app: undefined, appDiskBytes: 64 << 20 }, /needs app/],
    [{ network: 'bridge' as 'host' }, /network must be/],
  ];
  for (const [over, message] of bad) assert.throws(() => validateSpec(spec(over)), message, JSON.stringify(over));
  assert.doesNotThrow(() => validateSpec(spec({ hostname: 'clock_worker.2', id: 'slipway-a.b_c+d-1' })));
  assert.doesNotThrow(() => validateSpec(spec({ cpuShares: 2, appDiskBytes: 16 << 20, network: 'host', stdin: true })));
});

test('exec process: the container\'s credentials and limits, new argv and cwd, its env unless one is given', () => {
  const base = ociConfig(input()).process;
  const inherited = execProcess(base, ['stty', '-F', '/dev/pts/0', 'rows', '40'], '/app');
  assert.deepEqual(inherited, { ...base, args: ['stty', '-F', '/dev/pts/0', 'rows', '40'], cwd: '/app' });
  assert.deepEqual(inherited.user, { uid: 1_500_000_123, gid: 1_500_000_123, additionalGids: [1_500_000_123] });
  const given = execProcess(base, ['env'], '/tmp', { ONLY: 'this' });
  assert.deepEqual(given.env, ['ONLY=this']);
  assert.equal(given.cwd, '/tmp');
  assert.equal(given.terminal, false);
  assert.deepEqual(base.args, ['bash', '-c', 'exec node server.js'], 'the container\'s own process is not changed');
  assert.throws(() => execProcess(base, [], '/app'), /argv is empty/);
  assert.throws(() => execProcess(base, ['true'], '/app', { 'A=B': '1' }), /bad environment/);
});

test('seccomp: the default profile denies user namespaces, keyrings, bpf, mounts and module loading, for every ABI', () => {
  const { seccomp } = ociConfig(input()).linux;
  assert.equal(seccomp.defaultAction, 'SCMP_ACT_ALLOW');
  if (process.arch === 'x64') assert.deepEqual(seccomp.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const denied = seccomp.syscalls.filter((r) => !r.args).flatMap((r) => r.names);
  for (const name of ['unshare', 'setns', 'keyctl', 'add_key', 'request_key', 'bpf', 'userfaultfd', 'perf_event_open', 'mount',
    'umount2', 'pivot_root', 'kexec_load', 'init_module', 'finit_module', 'open_by_handle_at', 'io_uring_setup', 'clone3']) {
    assert.ok(denied.includes(name), `${name} is denied`);
  }
  const clone3 = seccomp.syscalls.find((r) => r.names.includes('clone3'))!;
  assert.equal(clone3.errnoRet, 38, 'clone3 answers ENOSYS so libc falls back to clone');
  // clone itself stays allowed (every fork uses it) except with a namespace flag, CLONE_NEWUSER among them.
  assert.ok(!denied.includes('clone'));
  const cloneFlags = seccomp.syscalls.filter((r) => r.names.includes('clone')).map((r) => r.args![0]!);
  assert.ok(cloneFlags.some((a) => a.index === 0 && a.value === 0x10000000 && a.valueTwo === 0x10000000 && a.op === 'SCMP_CMP_MASKED_EQ'));
  assert.equal(cloneFlags.length, 7);
  assert.ok(!denied.includes('ptrace'), 'ptrace stays allowed (Docker allows it from kernel 4.8); uids keep apps apart');
});

test('accounts: the tenant\'s passwd and group files are bound read-only over the stack\'s', () => {
  const c = ociConfig(input({ accounts: { passwd: '/b/passwd', group: '/b/group' } }));
  const m = (d: string) => c.linux && c.mounts.find((x) => x.destination === d);
  assert.deepEqual(m('/etc/passwd'), { destination: '/etc/passwd', type: 'bind', source: '/b/passwd', options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  assert.deepEqual(m('/etc/group')?.source, '/b/group');
  assert.equal(ociConfig(input()).mounts.find((x) => x.destination === '/etc/passwd'), undefined);
});
