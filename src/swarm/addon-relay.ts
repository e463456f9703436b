// How a task on any node reaches its app's add-on. The add-on servers listen in a network namespace of
// the platform's machine (src/addons/network.ts) that nothing off the machine can route to, so the
// platform relays: for each add-on server's port it listens on the address tasks reach this machine at
// (the blob URL's host) on the same port number, and passes each connection's bytes to the server. Only
// connections from a swarm node's address (tasks on a worker leave it masqueraded as the node) or from
// the subnets of this machine's own tasks are relayed; any other is closed before a byte is read. The
// config vars a swarm task gets name the relay instead of the server (relayConfig). What the relay opens
// is no more than the servers themselves: each add-on has its own credentials, and the relay only
// reaches the servers' namespace address on ports a server holds.
import { createServer, connect, isIPv4, type Server, type Socket } from 'node:net';
import type { Logger } from '../logger/index.ts';

/** Where the add-on servers listen now: their namespace's address and the ports a server holds. */
export interface AddonServers {
  address: string;
  ports: readonly number[];
}

/** Connections one relay port carries at once (each add-on server bounds its own clients further). */
const MAX_CONNECTIONS = 1000;

const ipToNumber = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0) >>> 0;

/** Whether an IPv4 address is one of `addresses` or inside one of the CIDRs. */
export function admitted(remote: string, addresses: ReadonlySet<string>, subnets: readonly string[]): boolean {
  const ip = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
  if (!isIPv4(ip)) return false;
  if (addresses.has(ip)) return true;
  return subnets.some((cidr) => {
    const [base, len] = cidr.split('/');
    const bits = Number(len);
    if (!base || !isIPv4(base) || !(bits >= 0 && bits <= 32)) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((ipToNumber(ip) & mask) >>> 0) === ((ipToNumber(base) & mask) >>> 0);
  });
}

/**
 * The release's config as a swarm task gets it: every URL naming an add-on server (its namespace
 * address and a port a server holds) names the relay's host instead, on the same port. Nothing else changes.
 */
export function relayConfig(config: Record<string, string>, servers: AddonServers | undefined, relayHost: string): Record<string, string> {
  if (!servers?.address || servers.ports.length === 0) return config;
  const ports = new Set(servers.ports.map(String));
  const at = new RegExp(`(?<=[@/])${servers.address.replace(/\./g, '\\.')}:(\\d+)(?=[/?#]|$)`, 'g');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k] = v.replace(at, (whole, port: string) => (ports.has(port) ? `${relayHost}:${port}` : whole));
  return out;
}

export interface AddonRelayOptions {
  /** The address it listens on (a local address tasks on every node reach this machine at). */
  host: string;
  /** Who may connect now: swarm nodes' addresses and this machine's task subnets. */
  admits: () => { addresses: ReadonlySet<string>; subnets: readonly string[] };
  logger: Logger;
}

export class AddonRelay {
  private readonly servers = new Map<number, Server>();
  private target = '';

  constructor(private readonly o: AddonRelayOptions) {}

  /** The ports it listens on. */
  get ports(): number[] {
    return [...this.servers.keys()];
  }

  /**
   * Listens for each server port not yet relayed (and stops relaying ports no server holds any more). A
   * port it cannot listen on (something else of the machine holds it) is logged and left out: URLs of
   * that server keep its own address, which tasks on this machine still reach.
   */
  async follow(servers: AddonServers): Promise<void> {
    this.target = servers.address;
    for (const [port, server] of this.servers) {
      if (!servers.ports.includes(port)) { this.servers.delete(port); server.close(); }
    }
    for (const port of servers.ports) {
      if (this.servers.has(port)) continue;
      const server = createServer({ pauseOnConnect: true }, (socket) => this.relay(socket, port));
      server.maxConnections = MAX_CONNECTIONS;
      server.on('error', (err) => this.o.logger.error({ err }, `the add-on relay on ${this.o.host}:${port} failed`));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.o.host, port, exclusive: true }, () => { server.off('error', reject); resolve(); });
      }).then(() => this.servers.set(port, server), (err: Error) => {
        this.o.logger.error(`cannot relay add-on port ${port} on ${this.o.host} for tasks on other nodes: ${err.message}`);
      });
    }
  }

  private relay(socket: Socket, port: number): void {
    socket.on('error', () => undefined);
    const { addresses, subnets } = this.o.admits();
    if (!this.target || !admitted(socket.remoteAddress ?? '', addresses, subnets)) {
      socket.destroy();
      return;
    }
    const upstream = connect({ host: this.target, port });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.once('connect', () => {
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
    });
  }

  async close(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
