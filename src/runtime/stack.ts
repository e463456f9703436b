// Makes the stack `slipway-12`: a Debian 12 root filesystem built once per machine with debootstrap
// (packages: stack-definition.ts), read-only in every build and dyno.
//
// Versions: the stack's definition hashes to a version, and each version lives in its own directory,
// `<stack dir>/<version>` (the stack dir is $SLIPWAY_STACK_DIR, default
// /var/lib/slipway/stacks/slipway-12). A changed definition makes a new version beside the old one,
// which stays untouched for the dynos still rooted in it; `pruneStacks` (stack-prune.ts) removes
// old versions once no process uses them. A version is made in a temp dir in the stack dir and
// renamed into place only when complete, under one lock file per stack dir, so an interrupted or
// concurrent maker never leaves (or exposes) a half stack.

import { mkdir, readFile, readdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unmountUnder } from './mounts.ts';
import { STACK_DEFINITION, STACK_NAME, VERSION_PATTERN, stackVersion, type StackDefinition } from './stack-definition.ts';
import { acquireLock } from './stack-lock.ts';
import { TOOL_ENV, countPackages, makeRoot } from './stack-maker.ts';
import { runCommand as run } from '../supervise/command.ts';

export { STACK_NAME, STACK_DEFINITION, stackVersion, type StackDefinition } from './stack-definition.ts';
export { createProgressCondenser, formatSeconds } from './stack-progress.ts';

export const DEFAULT_STACK_DIR = `/var/lib/slipway/stacks/${STACK_NAME}`;
/** The version this code makes and runs dynos on. */
export const STACK_VERSION = stackVersion(STACK_DEFINITION);

/** A stack exists when this marker (written last, before the rename) names it. */
export const MARKER = 'etc/slipway-stack';
/** The definition a version was made from, with its version; for people and for checks. */
const DEFINITION_FILE = 'etc/slipway-stack.json';
/** Refuse to start below this much free space: a made stack takes 1.0 GB, about 1.4 GB while the .debs are still in it. */
const MIN_FREE_BYTES = 2e9;

/** The directory holding the stack's versions: $SLIPWAY_STACK_DIR, else /var/lib/slipway/stacks/slipway-12. */
export function defaultStackDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_STACK_DIR || DEFAULT_STACK_DIR;
}

/** The root filesystem of a version of the stack (default: the current one). */
export function stackRoot(dir: string, version = STACK_VERSION): string {
  return path.join(path.resolve(dir), version);
}

/** Why making the stack failed, as an id a caller can act on, and a message saying what to do. */
export class StackError extends Error {
  readonly id: 'not_root' | 'debootstrap_missing' | 'no_network' | 'disk_full' | 'failed';
  constructor(id: StackError['id'], message: string) {
    super(message);
    this.name = 'StackError';
    this.id = id;
  }
}

export interface StackResult {
  /** The version's root filesystem. */
  root: string;
  version: string;
  /** False when the stack was already there. */
  built: boolean;
  seconds?: number;
  bytes?: number;
  /** Debian packages installed in it (dependencies included). */
  packages?: number;
}

/** Makes a complete root in `tmp` (which does not exist yet); ensureStack renames it into place. */
export type StackMaker = (tmp: string, def: StackDefinition, progress: (line: string) => void) => Promise<void>;

export interface EnsureStackOptions {
  definition?: StackDefinition;
  /** Default: debootstrap and the steps after it. Tests pass a fast fake to exercise versions and the lock. */
  maker?: StackMaker;
}

/** True when `root` holds a complete stack of the version its directory is named after. */
export async function stackExists(root: string, name = STACK_NAME): Promise<boolean> {
  try {
    if ((await readFile(path.join(root, MARKER), 'utf8')).trim() !== name) return false;
    const made = JSON.parse(await readFile(path.join(root, DEFINITION_FILE), 'utf8')) as { version?: string };
    return made.version === path.basename(root);
  } catch {
    return false;
  }
}

/**
 * Makes the current version of the stack in `dir` unless it is already there; safe to call from
 * several processes at once (one makes it, the others wait and find it made). Resolves with its root.
 */
export async function ensureStack(
  dir: string, progress: (line: string) => void, options: EnsureStackOptions = {},
): Promise<StackResult> {
  const def = options.definition ?? STACK_DEFINITION;
  const version = stackVersion(def);
  const root = stackRoot(dir, version);
  if (await stackExists(root, def.name)) return { root, version, built: false };
  const maker = options.maker ?? makeRoot;
  if (!options.maker) await preflight();
  await mkdir(path.resolve(dir), { recursive: true });
  const release = await acquireLock(path.join(path.resolve(dir), '.lock'), progress);
  try {
    // Another process may have finished it while we waited for the lock.
    if (await stackExists(root, def.name)) return { root, version, built: false };
    return await build(root, def, version, maker, progress, !options.maker);
  } finally {
    await release();
  }
}

async function build(
  root: string, def: StackDefinition, version: string, maker: StackMaker, progress: (line: string) => void,
  checkSpace: boolean,
): Promise<StackResult> {
  const dir = path.dirname(root);
  // We hold the lock, so every temp dir here is a dead maker's remains.
  for (const name of await readdir(dir)) {
    if (isTempName(name)) await removeTree(path.join(dir, name));
  }
  // Only a complete build is ever renamed into place, so anything already there is not ours and
  // must not be deleted.
  if (await stat(root).then(() => true, () => false)) {
    throw new StackError('failed', `${root} exists but is not a complete ${def.name} stack; remove it and make the stack again`);
  }
  if (checkSpace) await checkFreeSpace(dir);
  const tmp = path.join(dir, `.${version}.tmp-${process.pid}`);
  const started = Date.now();
  progress(`Making stack ${def.name} version ${version} in ${root}`);
  try {
    await maker(tmp, def, progress);
    await writeFile(
      path.join(tmp, DEFINITION_FILE),
      JSON.stringify({ version, made: new Date().toISOString(), definition: def }, null, 2) + '\n',
    );
    await writeFile(path.join(tmp, MARKER), `${def.name}\n`);
    await rename(tmp, root);
  } catch (err) {
    await removeTree(tmp).catch(() => undefined);
    throw classifyStackError(err, dir, def.mirror);
  }
  const seconds = (Date.now() - started) / 1000;
  const bytes = Number((await run('du', ['-sb', root])).stdout.split('\t')[0]);
  const packages = await countPackages(root);
  return { root, version, built: true, seconds, bytes, packages };
}

function isTempName(name: string): boolean {
  return /^\.[0-9a-f]{12}\.tmp-\d+$/.test(name);
}

/** Names in a stack dir that belong to the versioned layout (everything else there is not ours to judge). */
export function isVersionLayoutName(name: string): boolean {
  return VERSION_PATTERN.test(name) || isTempName(name) || name === '.lock' || /^\.lock\.\d+\./.test(name) || /^\.trash-/.test(name);
}

/** What must hold before debootstrap can run: root, debootstrap on PATH. */
async function preflight(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new StackError('not_root', 'making the stack needs root (debootstrap chroots and mounts /proc): run it as root, or with sudo');
  }
  const found = await run('sh', ['-c', 'command -v debootstrap'], { env: TOOL_ENV }).then(() => true, () => false);
  if (!found) {
    throw new StackError('debootstrap_missing', 'debootstrap is not installed: apt-get install debootstrap (scripts/install-deps.sh installs it)');
  }
}

async function checkFreeSpace(dir: string): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < MIN_FREE_BYTES) {
    throw new StackError(
      'disk_full',
      `only ${(free / 1e9).toFixed(1)} GB free in ${dir}; making the stack needs ${(MIN_FREE_BYTES / 1e9).toFixed(1)} GB: ` +
        'free some space there, or set SLIPWAY_STACK_DIR to a directory on a larger disk',
    );
  }
}

/** Turns a failure into a StackError saying what the operator can do about it. Pure. */
export function classifyStackError(err: unknown, dir: string, mirror = STACK_DEFINITION.mirror): StackError {
  if (err instanceof StackError) return err;
  const e = err as NodeJS.ErrnoException;
  const text = `${e?.message ?? err}`;
  if (e?.code === 'ENOSPC' || /No space left on device/.test(text)) {
    return new StackError('disk_full', `the disk under ${dir} is full: free some space or set SLIPWAY_STACK_DIR to a larger disk, then make the stack again.\n${text}`);
  }
  if (/Failed getting release file|Couldn't download|Failed to fetch|Temporary failure resolving|Could not resolve|Could not connect|Network is unreachable|Connection (?:refused|timed out)|Unable to connect/i.test(text)) {
    return new StackError(
      'no_network',
      `could not download Debian packages from ${mirror}: check this machine's network, DNS or proxy ` +
        `(http_proxy is passed on), then make the stack again.\n${text}`,
    );
  }
  return new StackError('failed', text);
}

export async function removeTree(dir: string): Promise<void> {
  try {
    await stat(dir);
  } catch {
    return;
  }
  // An interrupted debootstrap leaves /proc and /sys mounted inside its target.
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}
