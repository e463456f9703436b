// The runtime seam's second shape: a cluster engine that runs a whole process type itself (a Docker
// Swarm service: replicas = quantity, restarts and placement by the engine). The dyno manager hands it
// the desired state per app and reads back the dynos it sees; builds and the platform's own servers stay
// on the platform's machine. Types only: the swarm component implements it, the composition root wires it.

/** A dyno as the engine reports it (one task of a process type's service). */
export interface ClusterDyno {
  /** The engine's task id. */
  id: string;
  /** `web.1`: the process type and the task's slot. */
  name: string;
  type: string;
  state: 'starting' | 'up' | 'crashed' | 'down';
  command: string;
  /** The dyno size's name (`standard-1x`). */
  size: string;
  release: { id: string; version: number };
  createdAt: Date;
  updatedAt: Date;
  /** The machine (engine node) it runs on. */
  node?: string;
  /** Where the router reaches its $PORT (web dynos that are up). */
  address?: string;
  port?: number;
}

export interface ClusterRelease {
  id: string;
  version: number;
  /** The slug blob (sha256) the dynos fetch and unpack to /app. */
  blob: string;
  config: Record<string, string>;
  processTypes: Record<string, string>;
}

/** What one app should run: its live release × its formation. */
export interface ClusterApp {
  id: string;
  name: string;
  release?: ClusterRelease;
  formation: readonly { type: string; quantity: number; size: string }[];
  /** New web dynos start before the old ones stop (the preboot feature). */
  preboot: boolean;
  /** Its dynos' memory and load go to its log stream (the log-runtime-metrics feature). */
  runtimeMetrics?: boolean;
}

export interface ClusterFormation {
  /** Shown in the platform's banner (`swarm`). */
  readonly name: string;
  /** Makes what the engine needs once (the stack image) and starts following the engine's events. */
  start(onChange: (appId: string) => void): Promise<void>;
  /** Makes the engine run exactly this (create, update or remove the app's services). */
  converge(app: ClusterApp): Promise<void>;
  /** The app's dynos as last seen, sorted by name. */
  dynos(appId: string): ClusterDyno[];
  /** Restarts every dyno, one process type (`web`) or one dyno (`web.2`); how many it restarts. */
  restart(appId: string, target?: string): number;
  /** The app is destroyed: its services (and their secrets) go. */
  remove(appId: string): Promise<void>;
  /** The slug blobs its dynos run on (housekeeping keeps them). */
  slugsInUse(): Set<string>;
  /** Stops following the engine; the services keep running (another platform process takes them over). */
  close(): Promise<void>;
}
