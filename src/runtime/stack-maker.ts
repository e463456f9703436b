// How a root of the stack is made (stack.ts decides when, where, and under which lock): debootstrap
// with the definition's packages, apt-get upgrade from the security and updates suites, locales,
// then the stack's own files (the dyno user, /app, profile, sources.list) and slimming.
import { spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { BUILD_PACKAGES, RUN_PACKAGES, SLIPWAY_PACKAGES, type StackDefinition } from './stack-definition.ts';
import { createAptCondenser, createProgressCondenser, formatSeconds, type Condenser } from './stack-progress.ts';
import { runCommand as run } from '../supervise/command.ts';

export const TOOL_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
};

/** The real maker: debootstrap, upgrades, locales, then the stack's own files; each a numbered, timed step. */
export async function makeRoot(tmp: string, def: StackDefinition, progress: (line: string) => void): Promise<void> {
  const detail = (line: string): void => progress(`      ${line}`);
  const steps: [string, () => Promise<string | void>][] = [
    [`debootstrap ${def.suite} (${def.variant}) + ${def.packages.length} packages (run ${RUN_PACKAGES.length}, ` +
      `build ${BUILD_PACKAGES.length}, Slipway ${SLIPWAY_PACKAGES.length}, overlapping) and their dependencies`, async () => {
      await debootstrap(tmp, def, detail);
      await writeFile(path.join(tmp, 'etc/apt/sources.list'), def.sourcesList);
      return `${await countPackages(tmp)} packages installed`;
    }],
    ...(def.upgrade
      ? [['apt-get upgrade from /etc/apt/sources.list (security and stable updates)', () => upgrade(tmp, detail)] as [string, () => Promise<string>]]
      : []),
    [`locales: ${def.locales.join(', ') || 'none'} (and C.UTF-8)`, () => generateLocales(tmp, def.locales)],
    ['the dyno user, /app, profile, slimming', () => customize(tmp, def)],
  ];
  for (const [i, [what, fn]] of steps.entries()) {
    const t = Date.now();
    progress(`[${i + 1}/${steps.length}] ${what}`);
    const summary = await fn();
    detail(`${summary ? `${summary}, ` : 'done, '}${formatSeconds((Date.now() - t) / 1000)}`);
  }
}

function debootstrap(target: string, def: StackDefinition, progress: (line: string) => void): Promise<void> {
  const args = [`--variant=${def.variant}`, `--include=${def.packages.join(',')}`, def.suite, target, def.mirror];
  return runTool('debootstrap', args, createProgressCondenser(progress), 'debootstrap');
}

/** Runs `argv` in the new root (as root, its own programs), streaming condensed output. */
function inRoot(root: string, argv: string[], condenser: Condenser, what: string): Promise<void> {
  return runTool('chroot', [root, ...argv], condenser, what);
}

/**
 * Runs a tool with the fixed environment (plus any proxy settings). setpriv --pdeathsig: if this
 * process is SIGKILLed mid-build, the tool dies with it instead of writing on into a temp dir the
 * next maker is about to remove. The last lines are kept for the error message: the tool's real
 * failure reason is in them.
 */
function runTool(cmd: string, args: string[], condenser: Condenser, what: string): Promise<void> {
  const proxy = Object.fromEntries(
    ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']
      .filter((k) => process.env[k]).map((k) => [k, process.env[k]!]),
  );
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...TOOL_ENV, ...proxy },
  });
  const tail: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    condenser.line(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      condenser.flush();
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

/**
 * Security and stable updates published since the suite's last point release, as Heroku's setup.sh
 * runs `apt-get upgrade`. Services must not start in the new root (policy-rc.d), and apt needs DNS
 * (the host's resolv.conf, emptied again in customize()).
 */
async function upgrade(root: string, progress: (line: string) => void): Promise<string> {
  const policy = path.join(root, 'usr/sbin/policy-rc.d');
  await writeFile(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await writeFile(path.join(root, 'etc/resolv.conf'), await readFile('/etc/resolv.conf').catch(() => ''));
  const before = await packageVersions(root);
  try {
    await inRoot(root, ['apt-get', '-qq', 'update'], createAptCondenser(progress), 'apt-get update');
    await inRoot(
      root,
      ['apt-get', '-y', '-q', '--no-install-recommends', '-o', 'Dpkg::Use-Pty=0', '-o', 'Dpkg::Options::=--force-confold', 'upgrade'],
      createAptCondenser(progress), 'apt-get upgrade',
    );
  } finally {
    await rm(policy, { force: true });
  }
  const after = await packageVersions(root);
  const changed = [...after].filter(([p, v]) => before.get(p) !== v).length;
  return `${changed} packages upgraded`;
}

/** Compiles the locales (C.UTF-8 comes with glibc) into /usr/lib/locale/locale-archive. */
async function generateLocales(root: string, locales: string[]): Promise<void> {
  if (locales.length === 0) return;
  const lines = locales.map((l) => `${l} ${l.split('.')[1] ?? 'UTF-8'}`);
  await writeFile(path.join(root, 'etc/locale.gen'), `# Generated by Slipway for the stack; run locale-gen after editing.\n${lines.join('\n')}\n`);
  await inRoot(root, ['locale-gen'], createProgressCondenser(() => undefined), 'locale-gen');
}

/** The dyno user, /app, a quiet profile, the files runc binds over, then slimming. */
async function customize(root: string, def: StackDefinition): Promise<void> {
  const etc = path.join(root, 'etc');
  const { name, uid, gid, home } = def.dynoUser;
  await appendFile(path.join(etc, 'passwd'), `${name}:x:${uid}:${gid}:Slipway dyno:${home}:/bin/bash\n`);
  await appendFile(path.join(etc, 'group'), `${name}:x:${gid}:\n`);
  await appendFile(path.join(etc, 'shadow'), `${name}:*:19000:0:99999:7:::\n`);
  await appendFile(path.join(etc, 'gshadow'), `${name}:!::\n`);
  await mkdir(path.join(root, home.replace(/^\//, '')), { mode: 0o755, recursive: true });
  // Debian's /etc/profile resets PATH for login shells (`bash -l`), which would hide the PATH that
  // buildpacks and the app's .profile.d set; and the stack has no business adding its own profile
  // scripts. Keep an /etc/profile that only sources /etc/profile.d (empty) and touches nothing else.
  await rm(path.join(etc, 'profile.d'), { recursive: true, force: true });
  await mkdir(path.join(etc, 'profile.d'), { mode: 0o755 });
  await writeFile(
    path.join(etc, 'profile'),
    '# Slipway stack: leave PATH and the environment as the platform and buildpacks set them.\n' +
      'for i in /etc/profile.d/*.sh; do [ -r "$i" ] && . "$i"; done\nunset i\n',
  );
  // Bind-mount targets must exist in the read-only root; runc cannot create them at run time. The
  // host's resolv.conf that apt used while making the stack is not kept: containers get their own.
  await rm(path.join(etc, 'resolv.conf'), { force: true });
  await writeFile(path.join(etc, 'resolv.conf'), '', { mode: 0o644 });
  await writeFile(path.join(etc, 'hosts'), '', { flag: 'a' });
  await slim(root);
}

/**
 * Drops what no build or dyno reads, as Debian's -slim images do: package caches and apt's lists
 * (`apt-get update` fetches them), man and info pages, message translations and docs except the
 * copyright files the licences require.
 */
async function slim(root: string): Promise<void> {
  const emptyDir = async (rel: string, keep: (name: string) => boolean): Promise<void> => {
    for (const name of await readdir(path.join(root, rel)).catch(() => [] as string[])) {
      if (!keep(name)) await rm(path.join(root, rel, name), { recursive: true, force: true });
    }
  };
  await emptyDir('var/cache/apt', (n) => n === 'archives');
  await emptyDir('var/cache/apt/archives', (n) => n === 'partial' || n === 'lock');
  await emptyDir('var/lib/apt/lists', (n) => n === 'partial' || n === 'lock');
  await emptyDir('usr/share/man', () => false);
  await emptyDir('usr/share/info', () => false);
  // glibc reads locale.alias at the top level; the subdirectories are per-language catalogs.
  await emptyDir('usr/share/locale', (n) => n === 'locale.alias');
  for (const pkg of await readdir(path.join(root, 'usr/share/doc')).catch(() => [] as string[])) {
    await emptyDir(path.join('usr/share/doc', pkg), (n) => n === 'copyright');
  }
}

export async function countPackages(root: string): Promise<number> {
  return (await packageVersions(root)).size;
}

/** Installed packages and their versions, read with the host's dpkg-query from the root's database. */
async function packageVersions(root: string): Promise<Map<string, string>> {
  const { stdout } = await run(
    'dpkg-query', ['--admindir', path.join(root, 'var/lib/dpkg'), '-W', '-f', '${db:Status-Abbrev} ${binary:Package} ${Version}\n'],
    { maxBuffer: 16 << 20 },
  ).catch(() => ({ stdout: '' }));
  const versions = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [status, pkg, version] = line.trim().split(/\s+/);
    if (status === 'ii' && pkg) versions.set(pkg, version ?? '');
  }
  return versions;
}

