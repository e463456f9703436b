// Helpers shared by the runtime's integration tests (not a test file itself): bounded waits, output
// collection, per-process network settings that keep concurrent test runs (and a platform running
// on the same machine) apart, and the inventory of everything a container can leave on the host.
import { execFile } from 'node:child_process';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createServer, type Server } from 'node:net';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { cgroupDirs } from './cgroups.ts';
import { loopDevices } from './disk.ts';
import { subnetOfVeth } from './netplan.ts';
import type { RuncRuntimeOptions } from './runc.ts';
import type { Container, ContainerSpec } from './types.ts';

const run = promisify(execFile);
export const WAIT_MS = 20_000;

/** Rejects when `p` takes longer than `ms`: no wait in these tests is unbounded. */
export function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function collect(stream: Readable): { text: () => string; waitFor: (s: string) => Promise<void> } {
  let buf = '';
  const waiters: (() => void)[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    for (const w of waiters) w();
  });
  return {
    text: () => buf,
    waitFor: (s) =>
      within(
        new Promise<void>((resolve) => {
          const check = (): void => void (buf.includes(s) && resolve());
          waiters.push(check);
          check();
        }),
        `output ${JSON.stringify(s)} (got ${JSON.stringify(buf)})`,
      ),
  };
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/**
 * A pool and chain prefix of this test process's own (a /24 and `SWT<pid>`), so test files running
 * side by side, or beside a platform on the default pool, never share a firewall chain or an address.
 */
export function testNetwork(pid = process.pid): Pick<RuncRuntimeOptions, 'addressPool' | 'firewallChainPrefix'> {
  return { addressPool: `10.216.${pid % 256}.0/24`, firewallChainPrefix: `SWT${pid}` };
}

/**
 * Everything of container `id` still on the host: runc state, bundle, mounts under the state dir,
 * cgroups, processes, its network namespace and veth, loop devices of its image, firewall rules
 * naming its address.
 */
export async function hostLeftovers(stateDir: string, id: string, address?: string): Promise<string[]> {
  const found: string[] = [];
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  if (mountinfo.includes(stateDir)) found.push('mount under the state dir');
  if (mountinfo.includes(`/containers/${id}/`)) found.push('mount of its bundle');
  if (await exists(path.join(stateDir, 'runc', id))) found.push('runc state');
  if (await exists(path.join(stateDir, 'containers', id))) found.push('bundle dir');
  for (const dir of await cgroupDirs(id)) found.push(`cgroup ${dir}`);
  for (const p of await processesNaming(id)) found.push(`process ${p.pid}: ${p.argv.join(' ')}`);
  if (await exists(path.join('/run/netns', id))) found.push('network namespace');
  for (const name of await readdir('/sys/class/net')) {
    if (subnetOfVeth(name) === undefined) continue;
    const alias = (await readFile(`/sys/class/net/${name}/ifalias`, 'utf8').catch(() => '')).trim();
    if (alias === id) found.push(`veth ${name}`);
  }
  for (const d of await loopDevices()) if (d.backFile.includes(`/containers/${id}/`)) found.push(`loop device ${d.name}`);
  if (address) {
    // iptables-save prints every table, nat included.
    if ((await run('iptables-save')).stdout.includes(address)) found.push(`firewall rule naming ${address}`);
  }
  return found;
}

/** The host's processes whose command line names `id` (a container's monitor and runc processes do). */
export async function processesNaming(id: string): Promise<{ pid: number; argv: string[] }[]> {
  const found: { pid: number; argv: string[] }[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(id)) found.push({ pid: Number(pid), argv: cmdline.split('\0').filter(Boolean) });
  }
  return found;
}

/** Polls until `id` has left nothing (an orphaned monitor takes a moment to notice), bounded. */
export async function settledLeftovers(stateDir: string, id: string, address?: string): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  let left = await hostLeftovers(stateDir, id, address);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = await hostLeftovers(stateDir, id, address);
  }
  return left;
}

/** The firewall lines (filter and nat) that mention a chain prefix. */
export async function firewallLines(prefix: string): Promise<string[]> {
  const all = (await run('iptables-save')).stdout.split('\n');
  return all.filter((l) => l.includes(`${prefix}-`));
}

/**
 * The spec / start / teardown every runtime test file needs around the runtime it tests: specs with
 * fresh ids under `prefix` running `bash -c <script>` over the test's slug, started containers with their
 * output collected, and destroyAll() for the file's after() hook.
 */
export function containerHarness<C extends Container>(o: {
  prefix: string;
  runtime: () => { start(spec: ContainerSpec): Promise<C> };
  lower: () => string;
  memoryLimitBytes: number;
  pidsLimit: number;
  env?: Record<string, string>;
}) {
  const started: C[] = [];
  let seq = 0;
  const spec = (script: string, over: Partial<ContainerSpec> = {}): ContainerSpec => ({
    id: `${o.prefix}${++seq}`,
    hostname: 'web.1',
    argv: ['bash', '-c', script],
    env: o.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/app', LANG: 'C.UTF-8' },
    cwd: '/app',
    app: { lower: o.lower() },
    mounts: [],
    memoryLimitBytes: o.memoryLimitBytes,
    pidsLimit: o.pidsLimit,
    ...over,
  });
  const start = async (s: ContainerSpec) => {
    const c = await within(o.runtime().start(s), `start ${s.id}`);
    started.push(c);
    return { c, out: collect(c.stdout), err: collect(c.stderr) };
  };
  const destroyAll = async () => {
    for (const c of started) await c.destroy().catch(() => undefined);
  };
  return { spec, start, destroyAll, started };
}

/** A TCP server on the host's every address that answers `reply` and closes. */
export async function listen(reply: string): Promise<{ server: Server; port: number }> {
  const server = createServer((sock) => sock.end(reply));
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** A bash snippet printing `<label>:open:<data>` or `<label>:closed` for a TCP connect, 5 s at most. */
export function probe(label: string, host: string, port: number): string {
  return `if out=$(timeout 5 bash -c 'exec 3<>/dev/tcp/${host}/${port} && cat <&3' 2>/dev/null); then echo "${label}:open:$out"; else echo "${label}:closed"; fi`;
}
