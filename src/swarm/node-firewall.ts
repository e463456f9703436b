// What the other swarm nodes may reach of the platform's machine. Tasks on a worker leave it masqueraded
// as the worker's own address, so on this machine a task there is indistinguishable from its node: every
// connection from a node's address meets one chain of this platform (`SLIPWAY-NODES-<8 hex>`, jumped from
// INPUT per node address) that admits the swarm's own traffic (2377/tcp management, 7946 gossip, 4789/udp
// overlay), the blob endpoint, the add-on relay's ports and the registry, replies to connections this
// machine made (the router's to published ports), and refuses the rest: the API, git, the rendezvous and
// anything else listening here. The chain is rewritten whole in one iptables-restore when a port is added,
// and its jumps follow the node list; close() removes both. One platform per swarm (the chain's last
// line refuses what another platform on this machine would open to the same nodes).
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { iptables, mustIptables } from './firewall.ts';

const run = promisify(execFile);
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

/** Swarm's own ports between nodes. */
export const SWARM_PORTS = { tcp: [2377, 7946], udp: [7946, 4789] } as const;

export function nodesChain(platform: string): string {
  const hex = /^slipway-([0-9a-f]{8})-$/.exec(platform)?.[1];
  if (!hex) throw new Error(`not a platform prefix: ${platform}`);
  return `SLIPWAY-NODES-${hex}`;
}

/** The chain's whole content as iptables-restore input (--noflush: other chains stay as they are). */
export function nodesChainRestore(chain: string, tcpPorts: readonly number[]): string {
  const tcp = [...new Set([...SWARM_PORTS.tcp, ...tcpPorts])].sort((a, b) => a - b);
  return [
    '*filter',
    `:${chain} - [0:0]`,
    `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ...tcp.map((p) => `-A ${chain} -p tcp --dport ${p} -j ACCEPT`),
    ...SWARM_PORTS.udp.map((p) => `-A ${chain} -p udp --dport ${p} -j ACCEPT`),
    `-A ${chain} -j REJECT --reject-with icmp-admin-prohibited`,
    'COMMIT',
    '',
  ].join('\n');
}

export class NodeFirewall {
  private readonly chain: string;
  private ports: number[] = [];
  private addresses: string[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(platform: string) {
    this.chain = nodesChain(platform);
  }

  /** The platform's ports nodes may reach besides swarm's own (blob endpoint, relay, registry). */
  setPorts(ports: readonly number[]): Promise<void> {
    this.ports = [...new Set(ports)];
    return this.apply();
  }

  /** The other nodes' addresses (this machine's own excluded by the caller). */
  setNodes(addresses: readonly string[]): Promise<void> {
    this.addresses = [...new Set(addresses.filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith('127.')))];
    return this.apply();
  }

  private apply(): Promise<void> {
    this.queue = this.queue.catch(() => undefined).then(async () => {
      await restore(nodesChainRestore(this.chain, this.ports));
      const jumps = await this.jumps();
      for (const [address, line] of jumps) if (!this.addresses.includes(address)) await iptables(['-D', ...line.slice(3).split(' ')]);
      for (const address of this.addresses) {
        if (!jumps.has(address)) await mustIptables(['-I', 'INPUT', '1', '-s', `${address}/32`, '!', '-i', 'lo', '-j', this.chain]);
      }
    });
    return this.queue;
  }

  /** This chain's jumps in INPUT, by source address. */
  private async jumps(): Promise<Map<string, string>> {
    const listed = await run('iptables', ['-w', '-S', 'INPUT'], { env: ENV }).then((r) => r.stdout, () => '');
    const out = new Map<string, string>();
    for (const line of listed.split('\n')) {
      const m = /^-A INPUT -s (\S+?)\/32 .*-j (\S+)$/.exec(line);
      if (m && m[2] === this.chain) out.set(m[1]!, line);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    for (const line of (await this.jumps()).values()) await iptables(['-D', ...line.slice(3).split(' ')]);
    await iptables(['-F', this.chain]);
    await iptables(['-X', this.chain]);
  }
}

function restore(rules: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('iptables-restore', ['-w', '--noflush'], { env: ENV, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore of the nodes' chain: ${stderr.trim() || `exit ${code}`}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(rules);
  });
}
