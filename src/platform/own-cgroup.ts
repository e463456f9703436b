// The platform's own cgroup: at start (as root, with runc) the platform moves itself into a cgroup of its
// own, named after its containers' prefix (`slipway-<hash>-platform`), a child of the one it was started
// in (a systemd unit's, a shell's), in the memory and pids hierarchies on cgroup v1 (and the hybrid
// layout) and in the one hierarchy on v2. Its memory and tasks are then counted apart from everything
// else's, and a tenant's are never counted with its: dynos and builds have cgroups of their own
// (`/slipway/<id>`, made by runc), where a dyno past its limit is OOM-killed (R15) without the platform's
// cgroup seeing anything. Nested, never moved up: whatever limits the parent has (a unit's MemoryMax, a
// host's slice) still apply. What the platform starts afterwards (HAProxy, add-on servers, git) starts
// there with it and is stopped by it; at stop the platform moves back to the parent and removes the cgroup,
// naming any process left in it. The score the kernel's OOM killer uses is oom.ts's.
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The v1 controllers whose hierarchies the platform joins: what it uses, counted apart (not cpu: a group would cut its share of CPU against the host's other tasks). */
const V1_CONTROLLERS = ['memory', 'pids'];

/** A cgroup the platform is in: the hierarchy's mount, its own directory and the one it came from. */
interface Joined { dir: string; parent: string }

export interface OwnCgroup {
  /** The directories the platform is in (one per hierarchy joined). */
  dirs: string[];
  /** Moves back to where it started and removes its cgroups; says what could not be removed and why. */
  leave(): Promise<string | undefined>;
}

/**
 * The cgroup paths of a /proc/<pid>/cgroup text, by hierarchy: `memory`, `pids` ... for v1 lines
 * (`4:memory:/path`; co-mounted controllers `cpu,cpuacct` give each their name) and `''` for the v2 line
 * (`0::/path`).
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') paths.set('', m[2]!);
    for (const c of m[1]!.split(',')) if (c && !c.startsWith('name=')) paths.set(c, m[2]!);
  }
  return paths;
}

/**
 * Where the platform's cgroup goes in each hierarchy it joins: `unified` for a v2-only host, else the v1
 * controllers (the hybrid layout's empty cgroup2 is systemd's bookkeeping and is left alone).
 */
export function ownCgroupDirs(layout: 'v1' | 'hybrid' | 'unified', self: Map<string, string>, name: string, root = CGROUP_ROOT): Joined[] {
  const at = (mount: string, p: string): Joined => ({ parent: path.join(mount, p === '/' ? '' : p), dir: path.join(mount, p, name) });
  if (layout === 'unified') return self.has('') ? [at(root, self.get('')!)] : [];
  return V1_CONTROLLERS.filter((c) => self.has(c)).map((c) => at(path.join(root, c), self.get(c)!));
}

/** Joins the platform's own cgroup (`name`) in every hierarchy it can; throws a sentence when none could be joined. */
export async function joinOwnCgroup(layout: 'v1' | 'hybrid' | 'unified', name: string, root = CGROUP_ROOT): Promise<OwnCgroup> {
  const self = parseProcCgroup(await readFile('/proc/self/cgroup', 'utf8'));
  const joined: Joined[] = [];
  const problems: string[] = [];
  for (const j of ownCgroupDirs(layout, self, name, root)) {
    try {
      await mkdir(j.dir).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
      await writeFile(path.join(j.dir, 'cgroup.procs'), String(process.pid));
      joined.push(j);
    } catch (err) {
      problems.push(`${j.dir}: ${(err as Error).message}`);
    }
  }
  if (joined.length === 0) throw new Error(problems.length ? problems.join('; ') : 'no cgroup hierarchy to join');
  return {
    dirs: joined.map((j) => j.dir),
    leave: async () => {
      const left: string[] = [];
      for (const j of joined) {
        try {
          await writeFile(path.join(j.parent, 'cgroup.procs'), String(process.pid));
          await rmdir(j.dir);
        } catch (err) {
          const pids = (await readFile(path.join(j.dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
          left.push(`${j.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${pids.length ? ` (processes still in it: ${pids.join(', ')})` : ''}`);
        }
      }
      return left.length ? left.join('; ') : undefined;
    },
  };
}
