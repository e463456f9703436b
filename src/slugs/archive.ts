// Checks a tarball before the platform unpacks it (as root). The listing comes from GNU tar itself
// (`tar -tv`), the same parser that then extracts, so what is checked is what gets written: a tar that
// some other reader sees differently cannot slip through.
//
// Refused, whatever the archive is: absolute names and names with `..`, hard links, devices, FIFOs and
// every other special kind, setuid/setgid bits, entries owned by root (uid or gid 0), more than
// `maxEntries` entries, and more than `maxBytes` unpacked (a sparse or highly compressible archive must
// not fill the disk). Symlinks are allowed when they resolve inside the tree, through the archive's own
// symlinks (a chain of links each pointing inside may still lead out); with `symlinks: 'any'` any target
// is allowed: for slugs the platform built itself, whose links resolve inside the dyno's own root
// (GNU tar never writes through a link that leaves the tree while extracting: it makes those last).
import { spawn } from 'node:child_process';
import { posix } from 'node:path';

export class ArchiveRefused extends Error {}

/** Largest total unpacked by default (SLIPWAY_UNPACK_MAX_BYTES overrides it). */
export const UNPACK_MAX_BYTES = 4 * 1024 ** 3;
/** Most entries by default (SLIPWAY_UNPACK_MAX_ENTRIES overrides it). */
export const UNPACK_MAX_ENTRIES = 500_000;

export interface ArchivePolicy {
  /** `inside` (default): links must resolve inside the tree; `any`: any target (slugs the platform built). */
  symlinks?: 'inside' | 'any';
  /** Allow uid/gid 0 (the archive is unpacked with `--no-same-owner`, so its owners are not kept). */
  rootOwned?: boolean;
  maxBytes?: number;
  maxEntries?: number;
}

/** The operator's unpack limits, from the environment (read at each check: settings are not cached here). */
export function unpackLimits(env: NodeJS.ProcessEnv = process.env): { maxBytes: number; maxEntries: number } {
  const num = (v: string | undefined, def: number) => (v && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : def);
  return { maxBytes: num(env.SLIPWAY_UNPACK_MAX_BYTES, UNPACK_MAX_BYTES), maxEntries: num(env.SLIPWAY_UNPACK_MAX_ENTRIES, UNPACK_MAX_ENTRIES) };
}

export interface Entry {
  /** `-` file, `d` directory, `l` symlink, `h` hard link, `c`/`b` devices, `p` FIFO, ... (as `tar -tv` shows). */
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  name: string;
  link?: string;
}

/**
 * Lists a gzipped tarball with GNU tar and checks every entry against `policy`; returns the entry names.
 * Throws ArchiveRefused naming the first offending entry, or a plain Error when it is not a tar.gz.
 */
export async function checkArchive(file: string, policy: ArchivePolicy = {}): Promise<string[]> {
  const limits = unpackLimits();
  const maxBytes = policy.maxBytes ?? limits.maxBytes;
  const maxEntries = policy.maxEntries ?? limits.maxEntries;
  const entries: Entry[] = [];
  let bytes = 0;
  // Read as it comes: an archive of millions of entries is refused without holding its listing.
  await listVerbose(file, (line) => {
    const e = parseListing(line);
    if (!e) throw new ArchiveRefused(`tar listed an entry it could not describe: ${line.slice(0, 120)}`);
    check(e, policy);
    bytes += e.size;
    if (bytes > maxBytes) throw new ArchiveRefused(`it unpacks to more than ${formatBytes(maxBytes)} (the limit is SLIPWAY_UNPACK_MAX_BYTES).`);
    if (entries.length >= maxEntries) throw new ArchiveRefused(`it holds more than ${maxEntries} entries (the limit is SLIPWAY_UNPACK_MAX_ENTRIES).`);
    entries.push(e);
  });
  if ((policy.symlinks ?? 'inside') === 'inside') checkLinksResolveInside(entries);
  return entries.map((e) => e.name);
}

function check(e: Entry, policy: ArchivePolicy): void {
  const what = JSON.stringify(e.name.slice(0, 200));
  if (e.name.startsWith('/')) throw new ArchiveRefused(`${what} is an absolute path; entries must be relative (./app/...).`);
  if (e.name.split('/').includes('..')) throw new ArchiveRefused(`${what} has a ".." component; entries must stay inside the archive.`);
  if (e.type === 'h') throw new ArchiveRefused(`${what} is a hard link; store the file itself (tar --hard-dereference).`);
  if (e.type !== '-' && e.type !== 'd' && e.type !== 'l') {
    const kind = { c: 'a character device', b: 'a block device', p: 'a FIFO', s: 'a socket' }[e.type] ?? `an entry of type ${JSON.stringify(e.type)}`;
    throw new ArchiveRefused(`${what} is ${kind}; only files, directories and symlinks are accepted.`);
  }
  if (/[sS]/.test(e.mode[3]! + e.mode[6]!)) throw new ArchiveRefused(`${what} has the setuid or setgid bit; clear it (chmod ug-s).`);
  if (e.type === 'l' && (policy.symlinks ?? 'inside') === 'inside' && e.link?.startsWith('/')) {
    throw new ArchiveRefused(`${what} points to the absolute path ${JSON.stringify(e.link.slice(0, 200))}; links must stay inside the archive.`);
  }
  if (!policy.rootOwned && (e.uid === 0 || e.gid === 0)) {
    throw new ArchiveRefused(`${what} is owned by root (uid ${e.uid}, gid ${e.gid}); make the archive as your own user or with tar --owner=1000 --group=1000.`);
  }
  if (e.type === 'l' && !e.link) throw new ArchiveRefused(`${what} is a symlink with an empty target.`);
}

/**
 * Every symlink's target, and every entry's directory, resolved inside the tree the archive makes,
 * following the archive's own symlinks as the kernel would (a `..` after a link goes up from where the
 * link points, not from where it sits). Anything that would leave the tree is refused.
 */
function checkLinksResolveInside(entries: readonly Entry[]): void {
  const links = new Map<string, string>();
  for (const e of entries) {
    const key = normal(e.name);
    if (e.type === 'l') links.set(key, e.link!);
    else links.delete(key);
  }
  if (links.size === 0) return;
  const resolve = (start: string[], path: string, depth: number, what: string): string[] => {
    if (path.startsWith('/')) throw new ArchiveRefused(`${what} points to the absolute path ${JSON.stringify(path.slice(0, 200))}; links must stay inside the archive.`);
    const at = [...start];
    for (const part of path.split('/')) {
      if (!part || part === '.') continue;
      if (part === '..') {
        if (at.length === 0) throw new ArchiveRefused(`${what} leads out of the archive's tree; links must stay inside it.`);
        at.pop();
        continue;
      }
      at.push(part);
      const target = links.get(at.join('/'));
      if (target !== undefined) {
        if (depth > 40) throw new ArchiveRefused(`${what} goes through more than 40 symlinks.`);
        at.pop();
        const resolved = resolve(at, target, depth + 1, what);
        at.length = 0;
        at.push(...resolved);
      }
    }
    return at;
  };
  for (const e of entries) {
    const parts = normal(e.name).split('/').filter(Boolean);
    const what = JSON.stringify(e.name.slice(0, 200));
    const dir = resolve([], parts.slice(0, -1).join('/'), 0, what);
    if (e.type === 'l') resolve(dir, e.link!, 0, `the symlink ${what}`);
  }
}

const normal = (name: string) => posix.normalize(name).replace(/^\.\/?/, '').replace(/\/+$/, '');

/** One line of `tar -tv --full-time --numeric-owner --quoting-style=c`; undefined when it is not one. */
export function parseListing(line: string): Entry | undefined {
  const m = /^(.)(\S{9})\s+(\d+)\/(\d+)\s+(\d+|\d+,\d+)\s+[^"]*"((?:[^"\\]|\\.)*)"(?: (->|link to) "((?:[^"\\]|\\.)*)")?$/.exec(line);
  if (!m) return undefined;
  const [, type, mode, uid, gid, size, name, , link] = m as unknown as string[];
  return {
    type: type!, mode: `${type}${mode}`, uid: Number(uid), gid: Number(gid), size: size!.includes(',') ? 0 : Number(size),
    name: unquote(name!), ...(link !== undefined ? { link: unquote(link) } : {}),
  };
}

/** A C-quoted name (tar runs in the C locale, so every byte past ASCII is an octal escape) as UTF-8 text. */
function unquote(s: string): string {
  const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', '?': '?', "'": "'" };
  const bytes = s.replace(/\\([0-7]{1,3}|.)/g, (_, c: string) => (/^[0-7]/.test(c) ? String.fromCharCode(parseInt(c, 8) & 0xff) : simple[c] ?? c));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function listVerbose(file: string, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // -P: names as stored (tar would otherwise strip a leading `/` from what it shows).
    const p = spawn('tar', ['-tvz', '-P', '--full-time', '--numeric-owner', '--quoting-style=c', '-f', file], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' },
    });
    let rest = '';
    let err = '';
    let failed: Error | undefined;
    const fail = (e: Error) => {
      failed ??= e;
      p.kill('SIGKILL');
    };
    p.stdout.setEncoding('latin1');
    p.stdout.on('data', (chunk: string) => {
      if (failed) return;
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      if (rest.length > 64 * 1024) return fail(new ArchiveRefused('tar listed an entry name longer than 64 KB.'));
      try {
        for (const l of lines) if (l) onLine(l);
      } catch (e) {
        fail(e as Error);
      }
    });
    p.stderr.on('data', (d) => { if (err.length < 4096) err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (failed) return reject(failed);
      if (code !== 0) return reject(new Error(`tar exited ${code}: ${err.trim().split('\n')[0] ?? ''}`));
      if (err.trim()) return reject(new ArchiveRefused(`tar complained while reading it: ${err.trim().split('\n')[0]}`));
      resolve();
    });
  });
}

function formatBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${Math.round(n / 1024 ** 2)} MB`;
}
