// The swarm runtime's entry point (SLIPWAY_RUNTIME=swarm): formation dynos as Docker Swarm services.
export { SwarmCluster, type SwarmClusterOptions } from './cluster.ts';
export { connectEngine } from './engine.ts';
export { stackImageName } from './image.ts';
export { LABELS } from './service-spec.ts';
export { swarmDown } from './down.ts';
export { EngineOneOffs } from './one-offs.ts';
export { workerFirewallScript } from './worker-firewall.ts';
