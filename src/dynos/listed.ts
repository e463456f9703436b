// The dyno manager's side of a cluster runtime (SLIPWAY_RUNTIME=swarm): what `ps` lists (the engine's
// dynos beside the platform's own one-offs), the router's targets from the engine, and the desired state
// handed to the engine in place of the manager's own launches.
import type { ClusterDyno, ClusterFormation } from '../runtime/cluster.ts';
import { sizeOrDefault } from '../runtime/sizes.ts';
import type { AppEntry } from './app-entry.ts';
import type { CurrentRelease } from './current-release.ts';
import type { RouteTarget } from './routes.ts';

/** A dyno as `ps` and the API show it: one the manager runs (`Dyno`) or one the engine reports. */
export interface ListedDyno {
  readonly id: string;
  readonly name: string;
  readonly state: 'starting' | 'up' | 'crashed' | 'down' | 'idle' | 'complete';
  readonly spec: { type: string; command: string; size: { name: string; display: string }; release: { id: string; version: number } };
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly nextRestartAt?: Date;
  /** The engine node it runs on (cluster runtimes). */
  readonly node?: string;
  /** Resizes an attached one-off's terminal; nothing for others. */
  resize(columns: number, lines: number): Promise<void>;
}

export function listedClusterDyno(d: ClusterDyno): ListedDyno {
  return {
    id: d.id, name: d.name, state: d.state, createdAt: d.createdAt, updatedAt: d.updatedAt, node: d.node,
    spec: { type: d.type, command: d.command, size: sizeOrDefault(d.size), release: d.release },
    resize: () => Promise.resolve(),
  };
}

/** The engine's dynos and the manager's own, by name. */
export function listedDynos(cluster: ClusterFormation | undefined, appId: string, own: ListedDyno[]): ListedDyno[] {
  if (!cluster) return own;
  return [...cluster.dynos(appId).map(listedClusterDyno), ...own].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The router's targets: the engine's up web dynos. */
export function clusterTargets(cluster: ClusterFormation, appId: string): RouteTarget[] {
  return cluster.dynos(appId).flatMap((d) => (d.type === 'web' && d.state === 'up' && d.address && d.port ? [{ dyno: d.name, host: d.address, port: d.port }] : []));
}

/** A reconcile pass under a cluster runtime: the engine is told the desired state and runs it itself. */
export async function convergeCluster(cluster: ClusterFormation, app: AppEntry, release: CurrentRelease | undefined, formation: readonly { type: string; quantity: number; size: string }[]): Promise<void> {
  app.webQuantity = release?.processTypes.web ? (formation.find((f) => f.type === 'web')?.quantity ?? 0) : 0;
  await cluster.converge({ id: app.id, name: app.name, release, formation, preboot: app.features.has('preboot'), runtimeMetrics: app.features.has('log-runtime-metrics') });
}
