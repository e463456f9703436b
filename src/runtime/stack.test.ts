// Tests of the stack: its pure parts (progress condensing, the definition's version, prune planning,
// error classification); versions, the lock and prune with fake makers in a temp dir (fast, real
// processes and files); and, where runc can run, the real stack (made on first use: about 2.5
// minutes) with its sources.list, dyno user and representative packages, seen from a runc container.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_STACK_DIR, MARKER, STACK_VERSION, StackError, classifyStackError, defaultStackDir, ensureStack,
  stackRoot, type StackMaker,
} from './stack.ts';
import { STACK_DEFINITION, stackVersion, type StackDefinition } from './stack-definition.ts';
import { createAptCondenser, createProgressCondenser, formatSeconds } from './stack-progress.ts';
import { locate, parseMountinfo, planPrune, pruneStacks, stackUsers } from './stack-prune.ts';
import { RuncRuntime } from './runc.ts';
import { runcCanRun } from './index.ts';
import { collect, testNetwork, within } from './test-helpers.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

test('debootstrap per-package lines are condensed into counters; other lines pass through', () => {
  const out: string[] = [];
  const c = createProgressCondenser((l) => out.push(l), 2);
  const lines = [
    'I: Retrieving InRelease ',
    'I: Checking Release signature',
    'I: Retrieving adduser 3.134',
    'I: Validating adduser 3.134',
    'I: Retrieving apt 2.6.1',
    'I: Validating apt 2.6.1',
    'I: Retrieving base-files 12.4',
    'I: Validating base-files 12.4',
    'I: Chosen extractor for .deb packages: dpkg-deb',
    'I: Extracting adduser...',
    'I: Unpacking required packages...',
    'I: Unpacking adduser...',
    'W: Failure trying to run: chroot',
    'I: Configuring libc6...',
  ];
  for (const l of lines) c.line(l);
  c.flush();
  assert.deepEqual(out, [
    'Retrieving InRelease',
    'Checking Release signature',
    'Retrieving ... (2)',
    'Retrieving ... (3)',
    'Chosen extractor for .deb packages: dpkg-deb',
    'Extracting ... (1)',
    'Unpacking required packages...',
    'Unpacking ... (1)',
    'W: Failure trying to run: chroot',
    'Configuring ... (1)',
  ]);
});

test('a counter is not repeated when the phase ends right after a periodic line', () => {
  const out: string[] = [];
  const c = createProgressCondenser((l) => out.push(l), 2);
  c.line('I: Unpacking a...');
  c.line('I: Unpacking b...');
  c.line('I: Configuring the base system...');
  assert.deepEqual(out, ['Unpacking ... (2)', 'Configuring the base system...']);
});

test('apt-get upgrade output: downloads and unpacks counted, dpkg and maintainer-script chatter dropped, errors kept', () => {
  const out: string[] = [];
  const c = createAptCondenser((l) => out.push(l), 2);
  for (const l of [
    'Reading package lists...',
    'The following packages will be upgraded:',
    '  libssl3 openssl tzdata',
    '3 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.',
    'Get:1 http://deb.debian.org/debian-security bookworm-security/main amd64 libssl3 amd64 3.0.22 [2034 kB]',
    'Get:2 http://deb.debian.org/debian-security bookworm-security/main amd64 openssl amd64 3.0.22 [1430 kB]',
    'Get:3 http://deb.debian.org/debian bookworm-updates/main amd64 tzdata all 2026a [255 kB]',
    '(Reading database ... 45%',
    'Preparing to unpack .../libssl3_3.0.22_amd64.deb ...',
    'Unpacking libssl3:amd64 (3.0.22) over (3.0.20) ...',
    'Setting up libssl3:amd64 (3.0.22) ...',
    "Current default time zone: 'Etc/UTC'",
    'Unpacking openssl (3.0.22) over (3.0.20) ...',
    'Unpacking tzdata (2026a) over (2025b) ...',
    'E: Sub-process /usr/bin/dpkg returned an error code (1)',
  ]) c.line(l);
  c.flush();
  assert.deepEqual(out, [
    '3 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.',
    'Retrieving ... (2)',
    'Retrieving ... (3)',
    'Upgrading ... (2)',
    'Upgrading ... (3)',
    'E: Sub-process /usr/bin/dpkg returned an error code (1)',
  ]);
});

test('durations read like 9.5s, 42s, 2m05s', () => {
  assert.equal(formatSeconds(9.46), '9.5s');
  assert.equal(formatSeconds(42.2), '42s');
  assert.equal(formatSeconds(125), '2m05s');
});

test('the stack dir is SLIPWAY_STACK_DIR when set, else under /var/lib/slipway; each version is a dir in it', () => {
  assert.equal(defaultStackDir({}), DEFAULT_STACK_DIR);
  assert.equal(defaultStackDir({ SLIPWAY_STACK_DIR: '/srv/stack' }), '/srv/stack');
  assert.equal(DEFAULT_STACK_DIR, '/var/lib/slipway/stacks/slipway-12');
  assert.equal(stackRoot('/srv/stack'), `/srv/stack/${STACK_VERSION}`);
  assert.equal(stackRoot('/srv/stack/', 'abcdef012345'), '/srv/stack/abcdef012345');
});

describe('the stack definition and its version', () => {
  const def = STACK_DEFINITION;

  test('the version is 12 hex digits of the definition, stable for the same definition', () => {
    assert.match(STACK_VERSION, /^[0-9a-f]{12}$/);
    assert.equal(stackVersion(def), STACK_VERSION);
    assert.equal(stackVersion(structuredClone(def)), STACK_VERSION);
  });

  test('the version ignores the packages\' order and repeats', () => {
    assert.equal(stackVersion({ ...def, packages: [...def.packages].reverse() }), STACK_VERSION);
    assert.equal(stackVersion({ ...def, packages: [...def.packages, 'jq', 'curl'] }), STACK_VERSION);
  });

  test('the version changes when anything that defines the stack changes', () => {
    const changed: StackDefinition[] = [
      { ...def, packages: [...def.packages, 'vim'] },
      { ...def, packages: def.packages.filter((p) => p !== 'jq') },
      { ...def, sourcesList: def.sourcesList.replace('bookworm-updates main\n', '') },
      { ...def, locales: [...def.locales, 'de_DE.UTF-8'] },
      { ...def, upgrade: !def.upgrade },
      { ...def, mirror: 'http://ftp.de.debian.org/debian' },
      { ...def, dynoUser: { ...def.dynoUser, uid: 1001 } },
      { ...def, recipe: def.recipe + 1 },
    ];
    const versions = changed.map(stackVersion);
    for (const v of versions) assert.notEqual(v, STACK_VERSION);
    assert.equal(new Set(versions).size, versions.length);
  });

  test('it keeps what builds need, and Heroku stack staples', () => {
    for (const p of ['ca-certificates', 'curl', 'git', 'python3', 'python3-pip', 'python3-venv', 'make', 'g++',
      'tar', 'gzip', 'xz-utils', 'procps', 'jq', 'postgresql-client', 'tzdata', 'locales', 'build-essential', 'libpq-dev']) {
      assert.ok(def.packages.includes(p), p);
    }
    assert.deepEqual(def.packages, [...new Set(def.packages)].sort());
    assert.match(def.sourcesList, /^deb http:\/\/deb\.debian\.org\/debian bookworm main$/m);
  });
});

describe('failures name their cause and what to do', () => {
  test('network, disk and other failures', () => {
    const net = classifyStackError(new Error('debootstrap failed (exit 1):\nE: Failed getting release file http://deb.debian.org/debian/dists/bookworm/Release'), '/s');
    assert.equal(net.id, 'no_network');
    assert.match(net.message, /network, DNS or proxy/);
    const dns = classifyStackError(new Error("apt-get update failed (exit 100):\nErr:1 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'"), '/s');
    assert.equal(dns.id, 'no_network');
    const disk = classifyStackError(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), '/s');
    assert.equal(disk.id, 'disk_full');
    assert.match(disk.message, /SLIPWAY_STACK_DIR/);
    assert.equal(classifyStackError(new Error('dpkg: error: No space left on device'), '/s').id, 'disk_full');
    const other = classifyStackError(new Error('debootstrap failed (exit 1):\nE: Couldn\'t find these debs: nosuchpkg'), '/s');
    assert.equal(other.id, 'failed');
    const kept = new StackError('not_root', 'run it as root');
    assert.equal(classifyStackError(kept, '/s'), kept);
  });
});

describe('prune planning', () => {
  const current = 'aaaaaaaaaaaa';
  const old = 'bbbbbbbbbbbb';
  const older = 'cccccccccccc';
  const entries = [current, old, older, '.lock', 'bin', 'etc', 'usr'];

  test('unused old versions go, the current one and used ones stay', () => {
    const plan = planPrune(entries, false, [
      { pid: 7, how: 'root', rel: `${older}` },
      { pid: 8, how: 'open file', rel: `${older}/etc/slipway-stack` },
      { pid: 9, how: 'root', rel: current },
    ], current);
    assert.deepEqual(plan, { remove: [old], removeLegacy: false, inUse: [{ name: older, pids: [7, 8] }] });
  });

  test('the flat stack made before versions goes only when nothing uses it', () => {
    assert.equal(planPrune(entries, true, [{ pid: 5, how: 'root', rel: old }], current).removeLegacy, true);
    const used = planPrune(entries, true, [{ pid: 5, how: 'root', rel: '' }, { pid: 6, how: 'cwd', rel: 'usr/bin' }], current);
    assert.equal(used.removeLegacy, false);
    assert.deepEqual(used.inUse, [{ name: 'legacy', pids: [5, 6] }]);
    assert.equal(planPrune(entries, false, [], current).removeLegacy, false);
  });

  test('a path is located in its filesystem through the mount on top of it', () => {
    const mounts = parseMountinfo([
      '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '30 22 254:16 / /var/lib rw,relatime - ext4 /dev/vdb rw',
      '31 22 254:0 /srv/some\\040dir /mnt/bound rw - ext4 /dev/vda rw',
    ].join('\n'));
    assert.deepEqual(locate('/var/lib/slipway/stacks/slipway-12', mounts), { dev: '254:16', path: '/slipway/stacks/slipway-12' });
    assert.deepEqual(locate('/mnt/bound/x', mounts), { dev: '254:0', path: '/srv/some dir/x' });
    assert.deepEqual(locate('/etc', mounts), { dev: '254:0', path: '/etc' });
  });
});

/** A maker that writes a tiny root (no debootstrap), counting its runs in `runs`. */
function fakeMaker(runs: string, ms = 0): StackMaker {
  return async (tmp, def) => {
    await mkdir(path.join(tmp, 'etc'), { recursive: true });
    await writeFile(path.join(tmp, 'etc/packages'), def.packages.join('\n'));
    await writeFile(runs, `${process.pid}\n`, { flag: 'a' });
    await new Promise((r) => setTimeout(r, ms));
  };
}

const fakeDef = (packages: string[]): StackDefinition => ({ ...STACK_DEFINITION, packages });

describe('versions, lock and prune with a fake maker', () => {
  let dir: string;
  let runs: string;
  before(async () => {
    dir = await realpath(await mkdtemp(path.join(tmpdir(), 'slipway-stack-test-')));
    runs = path.join(dir, '..', `${path.basename(dir)}.runs`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(runs, { force: true });
  });

  test('a new definition makes a new version beside the old one, which stays as it was', async () => {
    const a = await ensureStack(dir, () => undefined, { definition: fakeDef(['jq']), maker: fakeMaker(runs) });
    assert.equal(a.built, true);
    assert.equal(a.root, path.join(dir, stackVersion(fakeDef(['jq']))));
    assert.equal(await readFile(path.join(a.root, MARKER), 'utf8'), 'slipway-12\n');
    const again = await ensureStack(dir, () => undefined, { definition: fakeDef(['jq']), maker: fakeMaker(runs) });
    assert.deepEqual([again.built, again.root], [false, a.root]);
    const b = await ensureStack(dir, () => undefined, { definition: fakeDef(['jq', 'vim']), maker: fakeMaker(runs) });
    assert.equal(b.built, true);
    assert.notEqual(b.root, a.root);
    assert.equal(await readFile(path.join(a.root, 'etc/packages'), 'utf8'), 'jq');
    assert.equal(await readFile(path.join(b.root, 'etc/packages'), 'utf8'), 'jq\nvim');
    assert.equal((await readFile(runs, 'utf8')).trim().split('\n').length, 2);
  });

  test('a failed maker leaves nothing; the next one makes the stack', async () => {
    const def = fakeDef(['failing']);
    await assert.rejects(ensureStack(dir, () => undefined, {
      definition: def,
      maker: async (tmp) => {
        await mkdir(tmp);
        throw new Error('E: Couldn\'t find these debs: failing');
      },
    }), (err: StackError) => err.id === 'failed');
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes(stackVersion(def))), []);
    assert.equal((await ensureStack(dir, () => undefined, { definition: def, maker: fakeMaker(runs) })).built, true);
  });

  test('two processes making the same version at once: one makes it, the other waits and finds it', async () => {
    await writeFile(runs, '');
    const def = fakeDef(['concurrent']);
    const script = `
      import { ensureStack } from ${JSON.stringify(path.join(here, 'stack.ts'))};
      import { writeFile, mkdir } from 'node:fs/promises';
      const r = await ensureStack(${JSON.stringify(dir)}, (l) => console.log(l), {
        definition: ${JSON.stringify(def)},
        maker: async (tmp) => {
          await mkdir(tmp + '/etc', { recursive: true });
          await writeFile(${JSON.stringify(runs)}, process.pid + '\\n', { flag: 'a' });
          await new Promise((r) => setTimeout(r, 1500));
        },
      });
      console.log('RESULT ' + JSON.stringify(r));`;
    const child = (): Promise<string> => new Promise((resolve, reject) => {
      const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const out = collect(c.stdout);
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve(out.text()) : reject(new Error(`maker exited ${code}: ${out.text()}`))));
    });
    const outs = await within(Promise.all([child(), child()]), 'two makers', 30_000);
    const results = outs.map((o) => JSON.parse(/^RESULT (.*)$/m.exec(o)![1]!) as { built: boolean; root: string });
    assert.deepEqual(results.map((r) => r.built).sort(), [false, true]);
    assert.equal(results[0]!.root, results[1]!.root);
    assert.equal((await readFile(runs, 'utf8')).trim().split('\n').length, 1);
    assert.ok(outs.some((o) => /Waiting for pid \d+, which is making the stack/.test(o)), outs.join('\n'));
  });

  test('prune removes versions and the pre-version flat stack that no process uses, and keeps those in use', async () => {
    const current = await ensureStack(dir, () => undefined, { definition: fakeDef(['current']), maker: fakeMaker(runs) });
    const used = await ensureStack(dir, () => undefined, { definition: fakeDef(['used']), maker: fakeMaker(runs) });
    // The flat stack made before versions: a root right in the stack dir.
    await mkdir(path.join(dir, 'etc'), { recursive: true });
    await mkdir(path.join(dir, 'usr/bin'), { recursive: true });
    await writeFile(path.join(dir, MARKER), 'slipway-12\n');
    // A process working in the used version, and one holding a file of the flat stack open.
    const inVersion = spawn('sleep', ['30'], { cwd: path.join(used.root, 'etc'), stdio: 'ignore' });
    const inLegacy = spawn('sh', ['-c', 'exec 3<"$0"; exec sleep 30', path.join(dir, MARKER)], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const uses = await stackUsers(dir);
      assert.ok(uses.some((u) => u.pid === inVersion.pid && u.how === 'cwd' && u.rel === `${path.basename(used.root)}/etc`), JSON.stringify(uses));
      assert.ok(uses.some((u) => u.pid === inLegacy.pid && u.how === 'open file' && u.rel === 'etc/slipway-stack'), JSON.stringify(uses));

      const first = await pruneStacks(dir, () => undefined, current.version);
      assert.equal(first.removeLegacy, false);
      assert.deepEqual(first.inUse.map((u) => u.name).sort(), [path.basename(used.root), 'legacy'].sort());
      assert.deepEqual((await readdir(dir)).sort(), [current.version, used.version, 'etc', 'usr'].sort());
    } finally {
      inVersion.kill('SIGKILL');
      inLegacy.kill('SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
    const second = await pruneStacks(dir, () => undefined, current.version);
    assert.deepEqual([second.remove, second.removeLegacy, second.inUse], [[used.version], true, []]);
    assert.deepEqual(await readdir(dir), [current.version]);
  });
});

describe('the made stack', { skip: !runcCanRun() && 'needs root, Linux and runc' }, () => {
  let root: string;
  let stateDir: string;
  let rt: RuncRuntime;
  const prefix = `slipway-stest-${process.pid}-`;
  let seq = 0;

  before(async () => {
    root = (await ensureStack(defaultStackDir(), (line) => console.log(`stack: ${line}`))).root;
    stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-stack-test-state-'));
    rt = new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...testNetwork() });
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await rt?.cleanup(prefix);
    await rt?.removeFirewall();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  /** Runs a script in a build-like container (the dyno user, isolated network) and resolves with its output. */
  async function inStack(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const c = await rt.start({
      id: `${prefix}${++seq}`, hostname: 'build', argv: ['bash', '-c', script],
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' }, cwd: '/tmp', mounts: [],
      memoryLimitBytes: 512 << 20, pidsLimit: 256, tmpBytes: 256 << 20,
    });
    try {
      const stdout = collect(c.stdout);
      const stderr = collect(c.stderr);
      const { code } = await within(c.exited, script, 120_000);
      return { code: code ?? -1, stdout: stdout.text(), stderr: stderr.text() };
    } finally {
      await c.destroy();
    }
  }

  test('the runtime roots containers in the current version', () => {
    assert.equal(rt.stackDir, stackRoot(defaultStackDir()));
    assert.equal(root, rt.stackDir);
  });

  test('sources.list names bookworm at deb.debian.org; the dyno user and /app exist', async () => {
    const sources = await readFile(path.join(root, 'etc/apt/sources.list'), 'utf8');
    assert.match(sources, /^deb http:\/\/deb\.debian\.org\/debian bookworm main$/m);
    assert.match(sources, /^deb http:\/\/deb\.debian\.org\/debian-security bookworm-security main$/m);
    assert.match(await readFile(path.join(root, 'etc/passwd'), 'utf8'), /^dyno:x:1000:1000:[^:]*:\/app:\/bin\/bash$/m);
    assert.match(await readFile(path.join(root, 'etc/group'), 'utf8'), /^dyno:x:1000:$/m);
    const made = JSON.parse(await readFile(path.join(root, 'etc/slipway-stack.json'), 'utf8')) as { version: string };
    assert.equal(made.version, STACK_VERSION);
    // apt's lists are not shipped: `apt-get update` fetches them.
    assert.deepEqual((await readdir(path.join(root, 'var/lib/apt/lists'))).filter((n) => n !== 'partial' && n !== 'lock'), []);
  });

  test('representative packages: jq, psql, tzdata, locales, compilers, python, git, ImageMagick', async () => {
    const r = await inStack([
      'id -un', 'jq --version', 'psql --version', 'test -f /usr/share/zoneinfo/Europe/Paris && echo zoneinfo',
      'locale -a', 'gcc --version | head -1', 'make --version | head -1', 'python3 -m pip --version >/dev/null && echo pip',
      'python3 -m venv /tmp/v && echo venv', 'git --version', 'convert -version | head -1', 'pkg-config --exists libpq && echo libpq-dev',
    ].join(' && '));
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    for (const want of [/^dyno$/m, /^jq-1\.6$/m, /^psql \(PostgreSQL\) 15\./m, /^zoneinfo$/m, /^C\.utf8$/m, /^en_US\.utf8$/m,
      /^gcc .* 12\./m, /^GNU Make 4\./m, /^pip$/m, /^venv$/m, /^git version 2\./m, /ImageMagick 6\./, /^libpq-dev$/m]) {
      assert.match(out, want);
    }
  });

  test('third-party buildpacks can fetch packages with apt as heroku-buildpack-apt does (unprivileged, own dirs)', async () => {
    const r = await inStack([
      'mkdir -p /tmp/apt/cache/archives/partial /tmp/apt/state/lists/partial',
      'o="-o debug::nolocking=true -o dir::cache=/tmp/apt/cache -o dir::state=/tmp/apt/state -o dir::etc::sourcelist=/etc/apt/sources.list"',
      'apt-get $o -qq update', 'cd /tmp && apt-get $o -qq download libpq5', 'ls /tmp/*.deb',
    ].join(' && '), );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\/tmp\/libpq5_.*\.deb/);
  });

  test('a running container is seen as using its stack version, so prune keeps it', async () => {
    const c = await rt.start({
      id: `${prefix}${++seq}`, hostname: 'web.1', argv: ['sleep', '30'], env: { PATH: '/usr/bin:/bin' }, cwd: '/',
      mounts: [], memoryLimitBytes: 128 << 20, pidsLimit: 16, network: 'host',
    });
    try {
      const uses = await stackUsers(await realpath(defaultStackDir()));
      assert.ok(uses.some((u) => u.pid === c.pid && u.how === 'root' && u.rel === STACK_VERSION), JSON.stringify(uses));
      // And this process holds the runtime's lease on it.
      assert.ok(uses.some((u) => u.pid === process.pid && u.how === 'open file' && u.rel === `${STACK_VERSION}/${MARKER}`));
    } finally {
      await c.signal('SIGKILL');
      await within(c.exited, 'kill');
      await c.destroy();
    }
  });
});
