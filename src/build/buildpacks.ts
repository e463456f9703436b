// Which buildpacks a build runs, and getting each one onto disk: the built-in folders under buildpacks/
// (by registry name, e.g. `heroku/nodejs`), a local directory, or a git URL (`https://host/x.git#ref`).
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isIPv6 } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { checkedAddress, type EgressPolicy, egressFromEnv, parseAllowedTargets, refusal } from '../egress/index.ts';

/**
 * Built-ins in detection order (Heroku's: Ruby, Node.js, Clojure, Python, Java, Scala; so a Rails app
 * with a package.json is a Ruby app), with the registry names that point at them.
 */
export const BUILTIN_BUILDPACKS: { dir: string; names: string[] }[] = [
  { dir: 'ruby', names: ['heroku/ruby', 'ruby'] },
  { dir: 'nodejs', names: ['heroku/nodejs', 'nodejs'] },
  { dir: 'clojure', names: ['heroku/clojure', 'clojure'] },
  { dir: 'python', names: ['heroku/python', 'python'] },
  { dir: 'java', names: ['heroku/java', 'java'] },
  { dir: 'scala', names: ['heroku/scala', 'scala'] },
  { dir: 'procfile', names: ['heroku-community/procfile', 'heroku/procfile', 'procfile'] },
];

export class BuildpackError extends Error {}

export type BuildpackSource =
  | { kind: 'builtin'; url: string; name: string; dir: string }
  | { kind: 'path'; url: string; name: string; dir: string }
  | { kind: 'git'; url: string; name: string; repo: string; ref: string | null };

/** The operator's setting naming the host directories local-path buildpacks may come from. */
export const LOCAL_BUILDPACKS_SETTING = 'SLIPWAY_LOCAL_BUILDPACKS';

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** A path and every link on the way to it resolved; a path that is not there yet stays as it is. */
const real = (path: string): string => { try { return realpathSync(path); } catch { return path; } };

/**
 * A local-path buildpack is a directory on the platform's host, copied into the build as root: only
 * one inside a directory the operator named (`SLIPWAY_LOCAL_BUILDPACKS`) is accepted, checked both as
 * written and with its links resolved (a link in an allowed directory does not lead out of it).
 */
function checkLocalPath(url: string, localDirs: readonly string[]): void {
  const path = resolve(url);
  if (localDirs.some((d) => inside(resolve(d), path) && inside(real(resolve(d)), real(path)))) return;
  throw new BuildpackError(localDirs.length === 0
    ? `Buildpack ${url}: a directory on the platform's host is not a buildpack apps may name; use an https:// git URL or a registry name such as heroku/nodejs (the operator may allow local buildpacks under directories named in ${LOCAL_BUILDPACKS_SETTING}).`
    : `Buildpack ${url}: only directories under ${localDirs.join(', ')} (${LOCAL_BUILDPACKS_SETTING}) may be named as local buildpacks; use an https:// git URL or a registry name such as heroku/nodejs.`);
}

/** The directories of `SLIPWAY_LOCAL_BUILDPACKS` (colon-separated, each absolute); none when unset. */
export function parseLocalBuildpackDirs(value: string | undefined): string[] {
  const dirs = (value ?? '').split(':').filter((d) => d !== '');
  for (const d of dirs) if (!isAbsolute(d)) throw new Error(`${LOCAL_BUILDPACKS_SETTING} must list absolute directories separated by ':', got ${JSON.stringify(d)}`);
  return dirs.map((d) => resolve(d));
}

/**
 * Resolves one buildpack-installation URL (what `buildpacks:set` stored or BUILDPACK_URL says).
 * `localDirs`: where local-path buildpacks may be (the operator's `SLIPWAY_LOCAL_BUILDPACKS`).
 */
export function resolveBuildpack(url: string, builtinRoot: string, localDirs: readonly string[] = []): BuildpackSource {
  const builtin = BUILTIN_BUILDPACKS.find((b) => b.names.includes(url) || url === `urn:buildpack:${b.names[0]}`);
  if (builtin) return { kind: 'builtin', url, name: builtin.names[0]!, dir: join(builtinRoot, builtin.dir) };
  if (isAbsolute(url)) {
    checkLocalPath(url, localDirs);
    if (!existsSync(join(url, 'bin', 'compile'))) throw new BuildpackError(`Buildpack ${url} has no bin/compile.`);
    return { kind: 'path', url, name: url, dir: url };
  }
  if (/^[a-z][\w+.-]*:/i.test(url)) {
    const [repo, ref] = url.split('#', 2) as [string, string | undefined];
    checkGitUrl(repo, url);
    if (ref !== undefined && (!/^[\w./-]+$/.test(ref) || ref.startsWith('-'))) {
      throw new BuildpackError(`Buildpack ${redactUrl(url)}: the ref after # must be a branch or tag name (letters, digits, . _ / -).`);
    }
    return { kind: 'git', url, name: redactUrl(url), repo, ref: ref ?? null };
  }
  const names = BUILTIN_BUILDPACKS.map((b) => b.names[0]).join(', ');
  throw new BuildpackError(`Unknown buildpack ${url}: use an https:// git URL or one of ${names}.`);
}

/**
 * A buildpack's git URL must be https:// (http:// is let through here and checked once its host is known:
 * only to an address the operator allowed). git's other transports are refused: ssh and scp-like URLs
 * would use the platform's own keys, git:// and http:// to the internet can be altered on the way, and
 * ext::, file:// and the like would run commands or read the platform's disk.
 */
export function checkGitUrl(repo: string, shown = repo): void {
  let url: URL | undefined;
  try {
    url = new URL(repo);
  } catch { /* refused below */ }
  if (url && (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '') return;
  throw new BuildpackError(`Buildpack ${redactUrl(shown)}: only https:// git URLs are accepted (and registry names such as heroku/nodejs); use the https:// address of the repository.`);
}

/** A URL as it may be printed: any password in it replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^/:@]*:)[^/@]*@/i, '$1***@');
}

/** The name a buildpack URL is shown by: a built-in's registry name (`heroku/nodejs`), else the URL itself. */
export function buildpackName(url: string): string {
  return BUILTIN_BUILDPACKS.find((b) => b.names.includes(url) || url === `urn:buildpack:${b.names[0]}`)?.names[0] ?? redactUrl(url);
}

/** The built-ins, for detection when an app names no buildpack. */
export function builtinBuildpacks(builtinRoot: string): BuildpackSource[] {
  return BUILTIN_BUILDPACKS.map((b) => ({ kind: 'builtin' as const, url: b.names[0]!, name: b.names[0]!, dir: join(builtinRoot, b.dir) }));
}

/** Copies (or clones) a buildpack into `dest`, a private writable copy: buildpacks may write `export` beside themselves. */
export async function materialize(bp: BuildpackSource, dest: string, egress: EgressPolicy = egressFromEnv()): Promise<void> {
  if (bp.kind !== 'git') {
    await cp(bp.dir, dest, { recursive: true });
    return;
  }
  const pin = await pinnedGitOptions(bp.repo, egress).catch((err: Error) => {
    throw new BuildpackError(`Could not fetch buildpack ${bp.name}: ${redactUrl(err.message)}`);
  });
  // Only the transport the URL names, nothing from the platform's environment or root's git or ssh config.
  const protocols = ['-c', 'protocol.allow=never', '-c', `protocol.${new URL(bp.repo).protocol.slice(0, -1)}.allow=always`];
  const args = [...protocols, ...pin, 'clone', '--quiet', '--depth', '1', ...(bp.ref ? ['--branch', bp.ref] : []), '--', bp.repo, dest];
  const home = await mkdtemp(join(tmpdir(), 'slipway-bp-home-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  await new Promise<void>((resolve, reject) => {
    const p = spawn('git', args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new BuildpackError(`Could not fetch buildpack ${bp.name}: ${redactUrl(err.trim())}`))));
  }).finally(() => rm(home, { recursive: true, force: true }));
  if (!existsSync(join(dest, 'bin', 'compile'))) throw new BuildpackError(`Buildpack ${bp.name} has no bin/compile.`);
}

/**
 * The buildpack host's address, checked by the egress guard (never loopback, link-local or private
 * unless the operator allowed it); for http(s) also git options that make the clone connect to exactly
 * that address and follow no redirect elsewhere.
 */
async function pinnedGitOptions(repo: string, egress: EgressPolicy): Promise<string[]> {
  const url = new URL(repo);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const address = await checkedAddress(host, egress);
  // Plain http only within a network the operator vouched for (an internal address it allowed).
  if (url.protocol === 'http:' && refusal(address, parseAllowedTargets(undefined)) === undefined) {
    throw new Error(`${host} is reached over plain http://, which anyone on the way can alter; use the https:// address of the repository.`);
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return ['-c', `http.curloptResolve=${host}:${port}:${isIPv6(address) ? `[${address}]` : address}`, '-c', 'http.followRedirects=false'];
}
