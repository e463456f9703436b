// The Docker Engine this platform talks to: dockerode over DOCKER_HOST (default the local socket), and
// the few reads the cluster needs in a shape of its own (nodes' addresses, how tasks reach this machine).
import Docker from 'dockerode';

/** The engine named by DOCKER_HOST (unix:// or tcp://), else the local socket. */
export function connectEngine(env: NodeJS.ProcessEnv = process.env): Docker {
  const host = env.DOCKER_HOST;
  if (!host) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
}

/** Fails clearly when the engine is not there or not a swarm manager. */
export async function checkSwarmManager(docker: Docker): Promise<void> {
  const info = await docker.info().catch((err: Error) => {
    throw new Error(`SLIPWAY_RUNTIME=swarm: no Docker Engine answers at ${process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'} (${err.message}); start dockerd or set DOCKER_HOST`);
  }) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  if (info.Swarm?.LocalNodeState !== 'active' || !info.Swarm.ControlAvailable) {
    throw new Error('SLIPWAY_RUNTIME=swarm: this Docker Engine is not a swarm manager; run `docker swarm init` (or join it as a manager) first');
  }
}

/** Node id → the address the router reaches its published ports at. */
export async function nodeAddresses(docker: Docker): Promise<Map<string, { address: string; hostname: string }>> {
  const nodes = await docker.listNodes() as { ID: string; Status?: { Addr?: string }; Description?: { Hostname?: string } }[];
  return new Map(nodes.map((n) => [n.ID, { address: n.Status?.Addr || '127.0.0.1', hostname: n.Description?.Hostname ?? n.ID.slice(0, 12) }]));
}

/**
 * The subnets of the Docker networks tasks on this machine leave through (their source address here).
 * A new swarm has no docker_gwbridge until its first task starts, and rules read before would miss
 * its subnet: it is made first, with the options the engine gives its own (as Docker's documentation
 * says to customise it).
 */
export async function taskSubnets(docker: Docker): Promise<string[]> {
  const out: string[] = [];
  if (!(await docker.getNetwork('docker_gwbridge').inspect().then(() => true, () => false))) {
    await docker.createNetwork({
      Name: 'docker_gwbridge', Driver: 'bridge',
      Options: { 'com.docker.network.bridge.name': 'docker_gwbridge', 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.enable_ip_masquerade': 'true' },
    }).catch(() => undefined); // made meanwhile by the engine: read below
  }
  for (const name of ['docker_gwbridge', 'bridge']) {
    const net = await docker.getNetwork(name).inspect().catch(() => undefined) as { IPAM?: { Config?: { Subnet?: string }[] } } | undefined;
    for (const c of net?.IPAM?.Config ?? []) if (c.Subnet && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c.Subnet)) out.push(c.Subnet);
  }
  return out;
}

/**
 * How a task reaches this machine: the gateway of the network tasks leave through (docker_gwbridge on a
 * swarm node, else the default bridge). An operator with several machines names a routable address instead.
 */
export async function hostAddressForTasks(docker: Docker): Promise<string> {
  for (const name of ['docker_gwbridge', 'bridge']) {
    const net = await docker.getNetwork(name).inspect().catch(() => undefined) as { IPAM?: { Config?: { Gateway?: string }[] } } | undefined;
    const gw = net?.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
    if (gw) return gw;
  }
  throw new Error('SLIPWAY_RUNTIME=swarm: found no Docker network whose gateway tasks could reach the platform at; set SLIPWAY_SWARM_BLOB_URL');
}

/** Local containers' addresses on their network, kept while they run (a look each the first time). */
export class ContainerAddresses {
  private readonly known = new Map<string, string>();

  constructor(private readonly docker: Docker) {}

  async of(id: string): Promise<string | undefined> {
    const known = this.known.get(id);
    if (known) return known;
    const info = await this.docker.getContainer(id).inspect().catch(() => undefined) as { NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> } } | undefined;
    const ip = Object.values(info?.NetworkSettings?.Networks ?? {}).map((n) => n.IPAddress).find(Boolean);
    if (ip) {
      if (this.known.size > 10_000) this.known.clear();
      this.known.set(id, ip);
    }
    return ip;
  }
}
