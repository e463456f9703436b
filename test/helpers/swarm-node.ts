// A second swarm node on this machine, for the swarm runtime's two-node test: a network namespace the
// test makes, joined to the host by a veth on a /30 of 10.215.0.0/16, and a second dockerd started in it
// through `nsenter --net` (not `ip netns exec`, which remounts /sys and hides the cgroup mounts) with its
// own data root, exec root, pid file, socket and containerd namespace; it pulls from plain-HTTP registries
// on the test's links (as an operator lists the platform's registry in insecure-registries). Everything
// it makes goes in stop().
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from './platform.ts';

const run = promisify(execFile);
const sh = async (cmd: string, args: string[]) => (await run(cmd, args, { maxBuffer: 16 << 20 })).stdout;

export interface NodeLink {
  ns: string;
  /** The host's side (what the manager advertises) and the namespace's. */
  hostIp: string;
  nodeIp: string;
  remove(): Promise<void>;
}

/** A namespace and its veth; the host side's address is what the swarm manager advertises. */
export async function makeLink(): Promise<NodeLink> {
  const tag = Math.random().toString(16).slice(2, 8);
  const ns = `slipway-node-${tag}`;
  const third = 1 + Math.floor(Math.random() * 250);
  const hostIp = `10.215.${third}.1`;
  const nodeIp = `10.215.${third}.2`;
  const [host, peer] = [`swh${tag}`, `swn${tag}`];
  const remove = async () => {
    await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
    await sh('ip', ['link', 'del', host]).catch(() => undefined);
  };
  try {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
    await sh('ip', ['link', 'set', peer, 'netns', ns]);
    await sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', host]);
    await sh('ip', ['link', 'set', host, 'up']);
    for (const args of [['addr', 'add', `${nodeIp}/30`, 'dev', peer], ['link', 'set', peer, 'up'], ['link', 'set', 'lo', 'up'], ['route', 'add', 'default', 'via', hostIp]]) {
      await sh('ip', ['-n', ns, ...args]);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { ns, hostIp, nodeIp, remove };
}

/** A host on the worker's LAN: a namespace joined to the worker's by a veth on a /30 of 10.216.0.0/16. */
export async function makeLan(workerNs: string): Promise<{ ns: string; workerIp: string; remove(): Promise<void> }> {
  const tag = Math.random().toString(16).slice(2, 8);
  const ns = `slipway-lan-${tag}`;
  const third = 1 + Math.floor(Math.random() * 250);
  const [workerIp, lanIp] = [`10.216.${third}.1`, `10.216.${third}.2`];
  const remove = async () => { await sh('ip', ['netns', 'del', ns]).catch(() => undefined); };
  try {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['link', 'add', `slw${tag}`, 'type', 'veth', 'peer', 'name', `sll${tag}`]);
    await sh('ip', ['link', 'set', `slw${tag}`, 'netns', workerNs]);
    await sh('ip', ['link', 'set', `sll${tag}`, 'netns', ns]);
    for (const [where, args] of [[workerNs, ['addr', 'add', `${workerIp}/30`, 'dev', `slw${tag}`]], [workerNs, ['link', 'set', `slw${tag}`, 'up']],
      [ns, ['addr', 'add', `${lanIp}/30`, 'dev', `sll${tag}`]], [ns, ['link', 'set', `sll${tag}`, 'up']], [ns, ['link', 'set', 'lo', 'up']]] as const) {
      await sh('ip', ['-n', where, ...args]);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { ns, workerIp, remove };
}

export interface WorkerNode {
  socket: string;
  /** `docker` against the worker's engine. */
  docker(args: string[]): Promise<string>;
  /** Takes the worker away (its engine stops, and its containers with it). */
  stop(): Promise<void>;
  /** Removes its data and exec roots. */
  remove(): Promise<void>;
  /** The last `bytes` of its dockerd's log (for a failure's message). */
  logTail(bytes?: number): Promise<string>;
}

export async function startWorker(link: NodeLink): Promise<WorkerNode> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-node-'));
  const socket = join(dir, 'docker.sock');
  const log = join(dir, 'dockerd.log');
  const proc: ChildProcess = spawn('sh', ['-c', `exec nsenter --net=/run/netns/${link.ns} dockerd --data-root ${dir}/data --exec-root ${dir}/exec --pidfile ${dir}/dockerd.pid -H unix://${socket} --containerd-namespace slipway-node --containerd-plugins-namespace slipway-node-plugins --insecure-registry 10.215.0.0/16 >${log} 2>&1`], { stdio: 'ignore', detached: true });
  const docker = (args: string[]) => sh('docker', ['-H', `unix://${socket}`, ...args]);
  const stop = async () => {
    if (proc.exitCode !== null || !proc.pid) return;
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(proc.pid, 'SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
  };
  const remove = async () => {
    await stop();
    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir)).sort().reverse();
    for (const m of mounts) await sh('umount', ['-l', m]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  while (!(await docker(['info', '--format', '{{.ServerVersion}}']).then(() => true, () => false))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      const out = await readFile(log, 'utf8').catch(() => '');
      await remove();
      throw new Error(`the worker's dockerd did not start: ${out.slice(-1500)}`);
    }
    await sleep(500);
  }
  const logTail = async (bytes = 3000) => (await readFile(log, 'utf8').catch(() => '')).slice(-bytes);
  return { socket, docker, stop, remove, logTail };
}
