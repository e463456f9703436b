// What tasks on every node reach of the platform's machine, in one place for the cluster: the add-on
// relay (addon-relay.ts) and the URLs that name it, this machine's tasks' accept lines for its ports
// (firewall.ts), and the other nodes' chain (node-firewall.ts), kept to the node list and the ports open.
import type { Logger } from '../logger/index.ts';
import { AddonRelay, relayConfig, type AddonServers } from './addon-relay.ts';
import { openRelayPorts } from './firewall.ts';
import { NodeFirewall } from './node-firewall.ts';

export interface TaskReachOptions {
  platform: string;
  /** The add-on servers now (undefined while no add-on exists). */
  servers: () => AddonServers | undefined;
  logger: Logger;
}

export class TaskReach {
  private relay?: AddonRelay;
  private readonly nodeFirewall: NodeFirewall;
  private host = '';
  private fixedPorts: number[] = [];
  private nodeAddresses = new Set<string>();
  private subnets: readonly string[] = [];

  constructor(private readonly o: TaskReachOptions) {
    this.nodeFirewall = new NodeFirewall(o.platform);
  }

  /** `blobBase` names the address tasks reach this machine at; `ports` are the platform's ports nodes may reach (blob, registry). */
  async start(blobBase: string, subnets: readonly string[], ports: readonly number[]): Promise<void> {
    this.host = new URL(blobBase).hostname;
    this.subnets = subnets;
    this.fixedPorts = [...ports];
    const listen = /^\d+\.\d+\.\d+\.\d+$/.test(this.host) ? this.host : '0.0.0.0';
    this.relay = new AddonRelay({ host: listen, admits: () => ({ addresses: this.nodeAddresses, subnets: this.subnets }), logger: this.o.logger });
    await this.nodeFirewall.setPorts(this.fixedPorts);
  }

  /** The swarm's nodes changed: every node's address may use the relay; the others' meet the nodes' chain. */
  async nodes(nodes: ReadonlyMap<string, { address: string }>, localNode: string): Promise<void> {
    this.nodeAddresses = new Set([...nodes.values()].map((n) => n.address));
    await this.nodeFirewall.setNodes([...nodes].filter(([id]) => id !== localNode).map(([, n]) => n.address));
  }

  /** The config a task gets: add-on URLs name the relay, which then listens on their ports. */
  async configFor(config: Record<string, string>): Promise<Record<string, string>> {
    const servers = this.o.servers();
    if (!this.relay || !servers?.address || servers.ports.length === 0) return config;
    await this.relay.follow(servers);
    await openRelayPorts(this.relay.ports, this.o.platform);
    await this.nodeFirewall.setPorts([...this.fixedPorts, ...this.relay.ports]);
    return relayConfig(config, { address: servers.address, ports: this.relay.ports }, this.host);
  }

  get relayPorts(): number[] {
    return this.relay?.ports ?? [];
  }

  async close(): Promise<void> {
    await this.relay?.close();
    await this.nodeFirewall.close();
  }
}
