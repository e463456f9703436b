// Each tenant (an app) gets a host uid of its own for its builds and dynos: two apps never share one,
// all dynos and builds of one app do, and none is a uid a host login user has.
//
// Why: with one uid for every app (1000, often the machine's first login user), a process that got out
// of its pid namespace, or that login user, could read any dyno's /proc/<pid>/environ (config vars)
// and signal or trace it. With distinct uids the kernel's own permission checks keep apps apart.
//
// Allocation. A uid is claimed by linking a file named after it into a machine-wide registry directory;
// the file holds the tenant's key. The kernel's refusal of a second link of one name is the lock, so
// two platforms on one machine (each with its own data dir) never hand one uid to two tenants, and the
// registry survives restarts. The search starts at a slot derived from the key (so the usual answer is
// found with one read) and probes linearly.
//
// Release. A destroyed app's claim is given back once no process runs as its uid: its file is rewritten
// to a tombstone (renamed over, so the slot is never empty: a probe for a key claimed further along
// still walks past it). A claim that meets no file of its key takes the first tombstone it passed,
// under the registry's lock (two claimers never take one tombstone), else links the empty slot it
// stopped at, lock-free as before. Uids come from [TENANT_UID_BASE, +TENANT_UID_SLOTS), far
// above login users (Debian's are from 1000) and the usual /etc/subuid ranges (100000 + 65536 per
// user); uids listed in the host's /etc/passwd are skipped anyway. gid = uid (a group of its own).
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { acquireLock } from './stack-lock.ts';

export const TENANT_UID_BASE = 1_500_000_000;
export const TENANT_UID_SLOTS = 1 << 24;
/** Where the claims live unless the runtime is told otherwise (machine-wide, beside the stacks). */
export const DEFAULT_TENANT_DIR = '/var/lib/slipway/tenants';
/** Slots tried before giving up: far more than collisions will ever need, yet a bound. */
const MAX_PROBES = 4096;
/** Keys are app ids (UUIDs) or names; anything that fits a small file without a newline. */
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,199}$/;
/** A released slot's content: no key can be this (keys start with a letter or digit). */
const TOMBSTONE = '-released-';

/** Whether any process on this machine runs as `uid` (real, effective, saved or filesystem uid). */
export async function uidInUse(uid: number, proc = '/proc'): Promise<boolean> {
  for (const pid of await readdir(proc)) {
    if (!/^\d+$/.test(pid)) continue;
    const status = await readFile(`${proc}/${pid}/status`, 'utf8').catch(() => '');
    const ids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number) ?? [];
    if (ids.includes(uid)) return true;
  }
  return false;
}

export interface TenantUser { uid: number; gid: number }

/** The first slot tried for a key (pure). */
export function firstSlot(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % TENANT_UID_SLOTS;
}

/** The uids of the host's own accounts in /etc/passwd text (pure). */
export function passwdUids(passwd: string): Set<number> {
  const uids = new Set<number>();
  for (const line of passwd.split('\n')) {
    const uid = Number(line.split(':')[2]);
    if (line.includes(':') && Number.isInteger(uid)) uids.add(uid);
  }
  return uids;
}

/**
 * /etc/passwd and /etc/group for a container: the stack's, with its `dyno` account (and group) given
 * the tenant's uid and gid, so `id -un`, `whoami` and getpwuid() (npm, apt's sandbox user) see a named
 * user as before. Pure.
 */
export function tenantAccountFiles(stackPasswd: string, stackGroup: string, user: TenantUser): { passwd: string; group: string } {
  const others = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('dyno:'));
  const passwd = [...others(stackPasswd), `dyno:x:${user.uid}:${user.gid}::/app:/bin/bash`];
  const group = [...others(stackGroup), `dyno:x:${user.gid}:`];
  return { passwd: passwd.join('\n') + '\n', group: group.join('\n') + '\n' };
}

export class TenantUids {
  private readonly known = new Map<string, Promise<TenantUser>>();
  private hostUids?: Promise<Set<number>>;

  constructor(private readonly dir: string = DEFAULT_TENANT_DIR, private readonly hostPasswd = '/etc/passwd') {}

  /** The tenant's uid and gid, claiming one the first time the key is seen on this machine. */
  userFor(key: string): Promise<TenantUser> {
    if (!KEY_PATTERN.test(key)) return Promise.reject(new Error(`tenant key ${JSON.stringify(key)} must be 1-200 letters, digits and _.:@+-`));
    let found = this.known.get(key);
    if (!found) {
      found = this.claim(key);
      this.known.set(key, found);
      found.catch(() => this.known.delete(key));
    }
    return found;
  }

  /**
   * Gives the tenant's uid back (its app was destroyed): true when released (or never claimed), false
   * while a process still runs as it (the claim stays; nothing may inherit a uid that is in use).
   */
  async release(key: string): Promise<boolean> {
    if (!KEY_PATTERN.test(key)) return false;
    const found = await this.probe(key);
    if (found.uid === undefined) { this.known.delete(key); return true; }
    if (await uidInUse(found.uid)) return false;
    const file = path.join(this.dir, String(found.uid));
    const tmp = path.join(this.dir, `.${found.uid}.${randomUUID()}`);
    await writeFile(tmp, TOMBSTONE, { mode: 0o600 });
    await rename(tmp, file);
    this.known.delete(key);
    return true;
  }

  /** Walks the key's probe sequence: its claim's uid, else the first tombstone passed and the empty slot it ended at. */
  private async probe(key: string): Promise<{ uid?: number; tombstone?: number; empty?: number }> {
    this.hostUids ??= readFile(this.hostPasswd, 'utf8').then(passwdUids, () => new Set<number>());
    const taken = await this.hostUids;
    const start = firstSlot(key);
    let tombstone: number | undefined;
    for (let i = 0; i < MAX_PROBES; i++) {
      const uid = TENANT_UID_BASE + ((start + i) % TENANT_UID_SLOTS);
      if (taken.has(uid)) continue;
      const holder = await readFile(path.join(this.dir, String(uid)), 'utf8').catch(() => undefined);
      if (holder === key) return { uid };
      if (holder === TOMBSTONE) tombstone ??= uid;
      if (holder === undefined) return { tombstone, empty: uid };
    }
    return { tombstone };
  }

  /** Takes a released slot for `key` under the registry's lock; undefined when it was taken meanwhile. */
  private async reuse(key: string, uid: number): Promise<TenantUser | undefined> {
    const unlock = await acquireLock(path.join(this.dir, '.lock'), () => undefined);
    try {
      const file = path.join(this.dir, String(uid));
      const holder = await readFile(file, 'utf8').catch(() => undefined);
      if (holder === key) return { uid, gid: uid };
      if (holder !== TOMBSTONE) return undefined;
      const tmp = path.join(this.dir, `.${uid}.${randomUUID()}`);
      await writeFile(tmp, key, { mode: 0o600 });
      await rename(tmp, file);
      return { uid, gid: uid };
    } finally {
      await unlock();
    }
  }

  private async claim(key: string): Promise<TenantUser> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = await this.probe(key);
      if (found.uid !== undefined) return { uid: found.uid, gid: found.uid };
      if (found.tombstone === undefined) break;
      const reused = await this.reuse(key, found.tombstone);
      if (reused) return reused;
    }
    return this.claimEmpty(key);
  }

  /** The lock-free claim: the first empty slot of the key's sequence, linked into place. */
  private async claimEmpty(key: string): Promise<TenantUser> {
    const taken = await this.hostUids!;
    const start = firstSlot(key);
    for (let i = 0; i < MAX_PROBES; i++) {
      const uid = TENANT_UID_BASE + ((start + i) % TENANT_UID_SLOTS);
      if (taken.has(uid)) continue;
      const file = path.join(this.dir, String(uid));
      const holder = await readFile(file, 'utf8').catch(() => undefined);
      if (holder === key) return { uid, gid: uid };
      if (holder !== undefined) continue;
      // Written whole under a temporary name, then linked into place: link(2) refuses an existing name,
      // and a reader never sees a claim half written.
      const tmp = path.join(this.dir, `.${uid}.${randomUUID()}`);
      await writeFile(tmp, key, { mode: 0o600 });
      try {
        await link(tmp, file);
        return { uid, gid: uid };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if ((await readFile(file, 'utf8').catch(() => '')) === key) return { uid, gid: uid };
      } finally {
        await rm(tmp, { force: true });
      }
    }
    throw new Error(`no free tenant uid for ${key} after ${MAX_PROBES} tries in ${this.dir}`);
  }
}
