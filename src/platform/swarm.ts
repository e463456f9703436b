// The swarm runtime's wiring (SLIPWAY_RUNTIME=swarm): the cluster that runs formation dynos as services
// and the engine one-offs, both on the engine at DOCKER_HOST; and `slipway swarm:down`, which removes
// the services (and secrets) this data dir's platform made. Stop the platform first, or its reconcile
// loop makes them again. `slipway swarm:firewall` prints what each worker must apply (worker-firewall.ts).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { LogSink } from '../logs/types.ts';
import type { Logger } from '../logger/index.ts';
import { STACK_NAME, STACK_VERSION } from '../runtime/index.ts';
import { connectEngine, EngineOneOffs, stackImageName, SwarmCluster, swarmDown, workerFirewallScript } from '../swarm/index.ts';
import { ConfigError, loadConfig, type PlatformConfig } from './config.ts';

/** Names and labels of everything one platform makes (containers, services): one per data dir. */
export function containerPrefixFor(dataDir: string): string {
  return `slipway-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}-`;
}

export interface SwarmDeps {
  stackRoot: string;
  slugFiles: (sha256: string) => Promise<string[] | undefined>;
  cipher: { sign(claim: string): string; verify(claim: string, signature: string): boolean };
  logs: LogSink;
  logger: Logger;
  /** The add-on servers now, relayed to tasks on every node. */
  addonServers: () => { address: string; ports: number[] } | undefined;
}

/** The cluster (formation dynos) and the one-off runtime of the swarm runtime. */
export async function swarmParts(config: PlatformConfig & { swarm: NonNullable<PlatformConfig['swarm']> }, d: SwarmDeps): Promise<{ cluster: SwarmCluster; oneOffs: EngineOneOffs }> {
  const s = config.swarm;
  const docker = connectEngine({ DOCKER_HOST: s.dockerHost });
  const platform = containerPrefixFor(config.dataDir);
  const image = stackImageName(STACK_NAME, STACK_VERSION);
  const cluster = new SwarmCluster({
    docker, platform, stackRoot: d.stackRoot, image, registry: s.registry, registryDir: join(config.dataDir, 'registry'), registryPort: s.registryPort,
    slugFiles: d.slugFiles, sign: (c) => d.cipher.sign(c), verify: (c, sig) => d.cipher.verify(c, sig),
    blobPort: s.blobPort, blobUrl: s.blobUrl, logs: d.logs, bootTimeoutMs: config.bootTimeoutMs,
    openTargets: [config.addonsPool], allowPrivate: config.allowPrivateTargets, addonServers: d.addonServers,
    slugUrlTtlMs: s.slugUrlTtlMs, restartDelayMs: s.restartDelayMs, pollMs: s.pollMs,
    metricsIntervalMs: config.metricsIntervalMs, engineSocket: s.engineSocket, logger: d.logger,
  });
  const oneOffs = new EngineOneOffs({ docker, image, platform, stateDir: join(config.dataDir, 'runtime') });
  // One-offs a stopped platform left behind (the engine keeps them; runc's are swept the same way).
  await oneOffs.cleanup(platform).catch((err: Error) => d.logger.warn({ err }, 'could not sweep engine one-offs left by a stopped platform'));
  return { cluster, oneOffs };
}

/** `slipway swarm:firewall [--manager <ip>]`: prints the script an operator runs as root on each worker. */
export async function runSwarmFirewall(argv: string[]): Promise<number> {
  const config = loadConfig();
  const at = argv.indexOf('--manager');
  const manager = at >= 0 ? argv[at + 1] : config.swarm?.blobUrl && new URL(config.swarm.blobUrl).hostname;
  if (!manager) throw new ConfigError('swarm:firewall needs the platform machine\'s address as workers see it: set SLIPWAY_SWARM_BLOB_URL, or pass --manager <IPv4 address>.');
  try {
    process.stdout.write(workerFirewallScript({ manager, allowPrivate: config.allowPrivateTargets }));
  } catch (err) {
    throw new ConfigError(`swarm:firewall: ${(err as Error).message}; pass --manager <IPv4 address>.`);
  }
  return 0;
}

export async function runSwarmDown(_argv: string[]): Promise<number> {
  const config = loadConfig();
  const prefix = containerPrefixFor(config.dataDir);
  const done = await swarmDown(connectEngine({ DOCKER_HOST: config.swarm?.dockerHost ?? process.env.DOCKER_HOST }), prefix);
  process.stdout.write(`Removed ${done.services} service(s) and ${done.secrets} secret(s) labelled slipway.platform=${prefix} (data dir ${config.dataDir}).\n`);
  return 0;
}
