// What a stopped platform left on the machine, found by what is its own alone (other test runs on the
// machine have their own data dirs and prefixes, and are never looked at): network namespaces and cgroups
// named with its container prefix, mounts under its data dir (in this mount namespace; not loop devices,
// which a copy of a mount in another process's namespace, even another run's, may hold a while), and
// processes that are in its process group, in one of its cgroups, or that name its data dir. A platform
// stopped as ctrl-C stops it must leave none of these; `sweep` removes what one did leave (processes
// killed, mounts detached, namespaces deleted), so a failed test does not burden the machine.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { ownCgroupDirs, parseProcCgroup } from '../../src/platform/own-cgroup.ts';
import { cgroupLayout } from '../../src/runtime/index.ts';

/** The prefix a platform on this data dir names its containers, namespaces and cgroups with (platform/server.ts). */
export function containerPrefix(dataDir: string): string {
  return `slipway-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}-`;
}

const run = promisify(execFile);
const read = (file: string): Promise<string> => readFile(file, 'utf8').catch(() => '');

/** One line per thing left behind (empty when nothing is). */
export async function leftovers(dataDir: string, pgid?: number): Promise<string[]> {
  const prefix = containerPrefix(dataDir);
  const found: string[] = [];
  for (const ns of await readdir('/run/netns').catch(() => [] as string[])) {
    if (ns.startsWith(prefix)) found.push(`network namespace ${ns}`);
  }
  for (const line of (await read('/proc/self/mountinfo')).split('\n')) {
    const point = line.split(' ')[4];
    if (point?.startsWith(`${dataDir}/`)) found.push(`mount ${point}`);
  }
  // Containers' cgroups (runc's, `/slipway/<id>`) and the platform's own, beside this process's.
  for (const hierarchy of ['', ...await readdir('/sys/fs/cgroup').catch(() => [] as string[])]) {
    const dir = join('/sys/fs/cgroup', hierarchy, 'slipway');
    for (const name of await readdir(dir).catch(() => [] as string[])) if (name.startsWith(prefix)) found.push(`cgroup ${join(dir, name)}`);
  }
  const self = parseProcCgroup(await read('/proc/self/cgroup'));
  for (const { dir } of ownCgroupDirs(await cgroupLayout(), self, `${prefix}platform`)) if (existsSync(dir)) found.push(`cgroup ${dir}`);
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const stat = await read(`/proc/${pid}/stat`);
    const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    const cmdline = (await read(`/proc/${pid}/cmdline`)).replace(/\0/g, ' ').trim();
    if (!stat || !cmdline) continue; // gone, or a kernel thread
    if ((pgid && group === pgid) || cmdline.includes(dataDir) || (await read(`/proc/${pid}/cgroup`)).includes(prefix)) {
      found.push(`process ${pid}: ${cmdline.slice(0, 160)}`);
    }
  }
  return found;
}

/** `leftovers`, given 3 s to go (a helper such as the TypeScript loader's esbuild exits a moment after the platform). */
export async function lastingLeftovers(dataDir: string, pgid?: number): Promise<string[]> {
  let found = await leftovers(dataDir, pgid);
  for (let i = 0; i < 10 && found.length; i++) {
    await new Promise((r) => setTimeout(r, 300));
    found = await leftovers(dataDir, pgid);
  }
  return found;
}

/** Removes what `leftovers` listed: processes first (they hold mounts and namespaces), then mounts and namespaces. */
export async function sweep(found: string[]): Promise<void> {
  const quiet = (cmd: string, args: string[]) => run(cmd, args).catch(() => undefined);
  for (const f of found) {
    const pid = /^process (\d+):/.exec(f)?.[1];
    if (pid) try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const f of found.filter((x) => x.startsWith('mount ')).reverse()) await quiet('umount', ['-l', f.slice(6)]);
  for (const f of found) {
    if (f.startsWith('network namespace ')) await quiet('ip', ['netns', 'delete', f.slice(18)]);
  }
}
