// Makes the stack `slipway-12`: a Debian 12 root filesystem built once per machine with debootstrap,
// read-only in every build and dyno. The build goes into a temp dir beside the target and is renamed
// into place only when complete, under a lock file, so an interrupted or concurrent build never
// leaves (or exposes) a half stack.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFile, link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { DYNO_GID, DYNO_UID } from './types.ts';
import { unmountUnder } from './mounts.ts';

const run = promisify(execFile);

export const STACK_NAME = 'slipway-12';
export const DEFAULT_STACK_DIR = `/var/lib/slipway/stacks/${STACK_NAME}`;
const MIRROR = 'http://deb.debian.org/debian';

/**
 * What builds and dynos need on top of minbase: TLS roots and curl for buildpacks' downloads, git,
 * python3 with pip/venv, archive tools for every format buildpacks fetch, and make + g++ so
 * node-gyp and pip can compile native extensions. `netbase` gives /etc/services and /etc/protocols,
 * which getaddrinfo/getservbyname users expect. No `locales`: bookworm's libc ships C.UTF-8.
 */
export const STACK_PACKAGES = [
  'ca-certificates', 'curl', 'git', 'python3', 'python3-pip', 'python3-venv', 'procps', 'tar',
  'gzip', 'xz-utils', 'bzip2', 'unzip', 'make', 'g++', 'libstdc++6', 'netbase',
];

/** A stack exists when this marker (written last, before the rename) names it. */
const MARKER = 'etc/slipway-stack';
/** How long to wait for another process's build before giving up (a full build takes minutes). */
const LOCK_WAIT_MS = 60 * 60 * 1000;

export function defaultStackDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_STACK_DIR || DEFAULT_STACK_DIR;
}

export interface StackResult {
  /** False when the stack was already there. */
  built: boolean;
  seconds?: number;
  bytes?: number;
}

export async function stackExists(dir: string): Promise<boolean> {
  try {
    return (await readFile(path.join(dir, MARKER), 'utf8')).trim() === STACK_NAME;
  } catch {
    return false;
  }
}

/** Makes the stack at `dir` unless it is already there; safe to call from several processes at once. */
export async function ensureStack(dir: string, progress: (line: string) => void): Promise<StackResult> {
  if (await stackExists(dir)) return { built: false };
  const parent = path.dirname(path.resolve(dir));
  await mkdir(parent, { recursive: true });
  const release = await acquireLock(`${path.resolve(dir)}.lock`, progress);
  try {
    // Another process may have finished it while we waited for the lock.
    if (await stackExists(dir)) return { built: false };
    return await build(path.resolve(dir), progress);
  } finally {
    await release();
  }
}

async function build(dir: string, progress: (line: string) => void): Promise<StackResult> {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  // We hold the lock, so every temp dir of this stack is a dead build's remains.
  for (const name of await readdir(parent)) {
    if (name.startsWith(`.${base}.tmp-`)) await removeTree(path.join(parent, name));
  }
  // Only a complete build is ever renamed into place, so anything already there is not ours (a
  // mistyped SLIPWAY_STACK_DIR, say) and must not be deleted.
  if (await stat(dir).then(() => true, () => false)) {
    throw new Error(`${dir} exists but is not a ${STACK_NAME} stack; remove it or set SLIPWAY_STACK_DIR elsewhere`);
  }

  const tmp = path.join(parent, `.${base}.tmp-${process.pid}`);
  const started = Date.now();
  progress(`Building stack ${STACK_NAME} (Debian 12 bookworm, minbase + ${STACK_PACKAGES.length} packages) in ${dir}`);
  try {
    await debootstrap(tmp, progress);
    await customize(tmp);
    await rename(tmp, dir);
  } catch (err) {
    await removeTree(tmp);
    throw err;
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const bytes = Number((await run('du', ['-sb', dir])).stdout.split('\t')[0]);
  progress(`Stack ${STACK_NAME} built in ${seconds} s, ${Math.round(bytes / 1e6)} MB`);
  return { built: true, seconds, bytes };
}

function debootstrap(target: string, progress: (line: string) => void): Promise<void> {
  const args = ['--variant=minbase', `--include=${STACK_PACKAGES.join(',')}`, 'bookworm', target, MIRROR];
  // setpriv --pdeathsig: if this process is SIGKILLed mid-build, debootstrap dies with it instead
  // of writing on into a temp dir the next builder is about to remove.
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'debootstrap', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      DEBIAN_FRONTEND: 'noninteractive',
    },
  });
  const condenser = createProgressCondenser(progress);
  // The last lines are kept for the error message; debootstrap's real failure reason is in them.
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
      else reject(new Error(`debootstrap failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

/**
 * Condenses debootstrap's one-line-per-package output into `Retrieving ... (n)` counters, emitted
 * every `every` packages and when the phase changes; `Validating` lines are dropped (they pair with
 * `Retrieving`); every other line passes through without its `I: ` prefix.
 */
export function createProgressCondenser(emit: (line: string) => void, every = 25): { line(l: string): void; flush(): void } {
  // `Retrieving <pkg> <version>` / `Unpacking <pkg>...`; phase lines such as `Unpacking required
  // packages...` have more words and must pass through.
  const perPackage = /^I: (?:(Retrieving|Validating) \S+ \S+|(Extracting|Unpacking|Configuring) \S+\.\.\.)$/;
  let phase = '';
  let count = 0;
  let emitted = 0;
  const flush = (): void => {
    if (phase && count !== emitted) emit(`${phase} ... (${count})`);
    phase = '';
    count = 0;
    emitted = 0;
  };
  return {
    line(raw: string) {
      const l = raw.trimEnd();
      if (!l) return;
      const m = perPackage.exec(l);
      const verb = m?.[1] ?? m?.[2];
      if (!verb) {
        flush();
        emit(l.replace(/^I: /, ''));
        return;
      }
      // Each package is validated right after it is retrieved; counting both would only interleave.
      if (verb === 'Validating') return;
      if (verb !== phase) {
        flush();
        phase = verb;
      }
      count++;
      if (count % every === 0) {
        emit(`${phase} ... (${count})`);
        emitted = count;
      }
    },
    flush,
  };
}

/** Turns a fresh debootstrap root into the stack: the dyno user, /app, a quiet profile, the marker. */
async function customize(root: string): Promise<void> {
  const etc = path.join(root, 'etc');
  await appendFile(path.join(etc, 'passwd'), `dyno:x:${DYNO_UID}:${DYNO_GID}:Slipway dyno:/app:/bin/bash\n`);
  await appendFile(path.join(etc, 'group'), `dyno:x:${DYNO_GID}:\n`);
  await appendFile(path.join(etc, 'shadow'), 'dyno:*:19000:0:99999:7:::\n');
  await appendFile(path.join(etc, 'gshadow'), 'dyno:!::\n');
  await mkdir(path.join(root, 'app'), { mode: 0o755 });
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
  // Bind-mount targets must exist in the read-only root; runc cannot create them at run time.
  for (const f of ['resolv.conf', 'hosts']) await writeFile(path.join(etc, f), '', { flag: 'a' });
  await slim(root);
  await writeFile(path.join(root, MARKER), `${STACK_NAME}\n`);
}

/**
 * Drops what no build or dyno reads, as Debian's -slim images do: package caches, man and info
 * pages, message translations (60 MB) and docs except the copyright files the licences require.
 */
async function slim(root: string): Promise<void> {
  const emptyDir = async (rel: string, keep: (name: string) => boolean): Promise<void> => {
    for (const name of await readdir(path.join(root, rel)).catch(() => [] as string[])) {
      if (!keep(name)) await rm(path.join(root, rel, name), { recursive: true, force: true });
    }
  };
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

async function removeTree(dir: string): Promise<void> {
  try {
    await stat(dir);
  } catch {
    return;
  }
  // An interrupted debootstrap leaves /proc and /sys mounted inside its target.
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * An exclusive lock file holding the owner's pid. It is created complete via link() (atomic, fails
 * if it exists), so a reader never sees an empty one; a lock whose owner is dead is taken over.
 * Two waiters that find the same dead owner at the same instant could both take it over; that needs
 * a crash plus two simultaneous first starts, and costs one duplicate debootstrap into distinct
 * temp dirs (the renames then race, and the loser fails loudly), so it is not guarded further.
 */
async function acquireLock(lock: string, progress: (line: string) => void): Promise<() => Promise<void>> {
  const mine = `${lock}.${process.pid}`;
  await writeFile(mine, `${process.pid}\n`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  try {
    for (;;) {
      try {
        await link(mine, lock);
        return () => unlink(lock).catch(() => undefined);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (!owner || !isAlive(owner)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`stack lock ${lock} still held by pid ${owner}`);
      if (!told) progress(`Waiting for pid ${owner}, which is building the stack`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
