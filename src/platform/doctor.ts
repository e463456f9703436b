// `slipway doctor`: checks this machine for what the platform needs (root, runc, the cgroup layout, the
// kernel features dynos use, the servers it runs, its ports, the data disk, the stack) and says, for
// each thing missing, what to do about it. Exit status 1 when something needed is missing; what only
// limits the platform (no add-ons without PostgreSQL) is a warning.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { diskUse, overHighWater } from '../health/index.ts';
import { cgroupLayout, defaultStackDir, STACK_VERSION, stackRoot } from '../runtime/index.ts';
import { MARKER } from '../runtime/stack.ts';
import { ConfigError, loadConfig } from './config.ts';
import { onPath } from './health.ts';
import { hasCapSysResource } from './oom.ts';

const run = promisify(execFile);

export interface Finding {
  name: string;
  /** ok: fine; warn: works without it, less; fail: the platform cannot do its job. */
  level: 'ok' | 'warn' | 'fail';
  detail: string;
  /** What to do (warn and fail only). */
  fix?: string;
}

async function tool(path: string | undefined, name: string, fix: string, level: 'warn' | 'fail' = 'fail', what = name): Promise<Finding> {
  return (await onPath(name, path)) ? { name: what, level: 'ok', detail: `${name} found` } : { name: what, level, detail: `${name} is not on PATH`, fix };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

export async function diagnose(env: NodeJS.ProcessEnv = process.env): Promise<Finding[]> {
  const f: Finding[] = [];
  const config = loadConfig(env);
  const root = process.getuid?.() === 0;
  f.push(root ? { name: 'root', level: 'ok', detail: 'running as root' }
    : { name: 'root', level: 'fail', detail: 'not running as root: dynos run without isolation (the process runtime) and add-ons are unavailable', fix: 'run `slipway server` (and this check) as root' });
  f.push(await tool(env.PATH, 'runc', 'apt-get install runc'));
  if (await onPath('runc', env.PATH)) {
    const v = await run('runc', ['--version']).then((r) => r.stdout.split('\n')[0]!, (err: Error) => `fails: ${err.message}`);
    if (v.startsWith('fails')) f.push({ name: 'runc works', level: 'fail', detail: `runc --version ${v}`, fix: 'reinstall the runc package' });
  }
  const layout = await cgroupLayout().catch(() => undefined);
  f.push(layout ? { name: 'cgroups', level: 'ok', detail: `cgroup hierarchy: ${layout} (memory and pids limits are enforced)` }
    : { name: 'cgroups', level: 'fail', detail: 'no cgroup hierarchy under /sys/fs/cgroup', fix: 'mount cgroup2 at /sys/fs/cgroup (or boot with systemd)' });
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  f.push(/\boverlay\b/.test(filesystems) ? { name: 'overlayfs', level: 'ok', detail: 'the kernel has overlayfs (each dyno\'s writable /app)' }
    : { name: 'overlayfs', level: 'fail', detail: 'the kernel has no overlayfs', fix: 'modprobe overlay (and add it to /etc/modules)' });
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  f.push(/^Seccomp:\s*\d/m.test(status) ? { name: 'seccomp', level: 'ok', detail: 'the kernel filters system calls (seccomp)' }
    : { name: 'seccomp', level: 'fail', detail: 'the kernel has no seccomp', fix: 'use a kernel built with CONFIG_SECCOMP_FILTER' });
  f.push(hasCapSysResource(status) === false
    ? { name: 'OOM protection', level: 'warn', detail: 'root here lacks CAP_SYS_RESOURCE, so the platform cannot lower its OOM score; it runs dynos and builds above its own instead', fix: 'run Slipway where root has CAP_SYS_RESOURCE (not in a container that drops it), e.g. by its systemd unit (service:install)' }
    : { name: 'OOM protection', level: 'ok', detail: 'the platform can lower its own OOM score (a host out of memory kills a dyno first)' });
  f.push(existsSync('/proc/self/ns/net') ? { name: 'network namespaces', level: 'ok', detail: 'the kernel has network namespaces' }
    : { name: 'network namespaces', level: 'fail', detail: 'no network namespaces', fix: 'use a kernel built with CONFIG_NET_NS' });
  const forward = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8').catch(() => '')).trim();
  f.push({ name: 'ip forwarding', level: 'ok', detail: forward === '1' ? 'on' : 'off now; the runtime turns it on when dynos get their own network' });
  f.push(await tool(env.PATH, 'iptables', 'apt-get install iptables'));
  f.push(await tool(env.PATH, 'ip', 'apt-get install iproute2'));
  f.push(await tool(env.PATH, 'git', 'apt-get install git'));
  f.push(await tool(env.PATH, 'tar', 'apt-get install tar'));
  f.push(await tool(env.PATH, 'haproxy', 'apt-get install haproxy (without it the router runs in Node alone, several times slower)', 'warn'));
  f.push(await tool(env.PATH, 'pg_ctlcluster', 'apt-get install postgresql (the heroku-postgresql add-on needs it)', 'warn', 'postgresql'));
  f.push(await tool(env.PATH, 'redis-server', 'apt-get install redis-server (the heroku-redis add-on needs it)', 'warn'));
  for (const [what, port] of [['API port', config.apiPort], ['router port', config.routerPort]] as const) {
    f.push((await portFree(port)) ? { name: what, level: 'ok', detail: `${port} is free` }
      : { name: what, level: 'warn', detail: `${port} is in use (a running Slipway, or another server)`, fix: `stop what listens there, or choose another port (SLIPWAY_${what === 'API port' ? 'API' : 'ROUTER'}_PORT)` });
  }
  let dir = config.dataDir;
  while (!existsSync(dir)) dir = join(dir, '..');
  const use = await diskUse(dir);
  const high = overHighWater(use, config.diskHighWater);
  f.push(high ? { name: 'data disk', level: 'fail', detail: high, fix: `free space on the disk of ${config.dataDir}, or move the data dir (SLIPWAY_DATA_DIR) to a bigger disk` }
    : { name: 'data disk', level: 'ok', detail: `${Math.round(use.used * 100)}% used, ${(use.freeBytes / 1024 ** 3).toFixed(1)} GB free at ${config.dataDir}` });
  const stack = stackRoot(defaultStackDir(env), STACK_VERSION);
  f.push(existsSync(join(stack, MARKER)) ? { name: 'stack', level: 'ok', detail: `${STACK_VERSION} made at ${stack}` }
    : { name: 'stack', level: 'fail', detail: `the stack's current version is not made at ${stack}`, fix: 'run `slipway stack:make` (as root; about a minute and 200 MB)' });
  return f;
}

/** The `slipway doctor` command: prints each finding; 1 when one failed. */
export async function runDoctor(_argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  let findings: Finding[];
  try {
    findings = await diagnose();
  } catch (err) {
    if (err instanceof ConfigError) { out(`✗ settings: ${err.message}`); return 1; }
    throw err;
  }
  const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
  for (const x of findings) out(`${mark[x.level]} ${x.name}: ${x.detail}${x.fix ? `\n    fix: ${x.fix}` : ''}`);
  const failed = findings.filter((x) => x.level === 'fail').length;
  out(failed ? `\n${failed} problem${failed === 1 ? '' : 's'} to fix before Slipway can run here.` : '\nThis machine can run Slipway.');
  return failed ? 1 : 0;
}
