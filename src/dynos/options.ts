// What the dyno manager (manager.ts) is built with: its stores, runtime, timings and the hooks it tells.
import type { LogSink } from '../logs/types.ts';
import type { Logger } from '../logger/index.ts';
import type { ClusterFormation } from '../runtime/cluster.ts';
import type { Runtime } from '../runtime/types.ts';
import type { BlobStore } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import type { LeaderNotice } from '../store/leader.ts';
import type { Dyno } from './dyno.ts';
import type { FormationRow } from './formation.ts';
import type { SamplerOptions } from './sampler.ts';

export type Actor = { id?: string; email: string };

export interface DynoManagerOptions {
  db: Db;
  /** `run` dynos one account may have at once (SLIPWAY_ONE_OFFS_PER_ACCOUNT). */
  oneOffsPerAccount?: number;
  runtime: Runtime;
  logs: LogSink;
  blobs: BlobStore;
  /** Unpacked slugs live under here, one dir per slug blob, shared by every dyno that runs it. */
  dataDir: string;
  domain: string;
  bootTimeoutMs: number;
  stopGraceMs: number;
  /** Scales the crash back-off's minutes (tests shorten it). */
  crashBackoffMinuteMs: number;
  /** Daily cycling: a dyno is restarted this long after it started, plus up to `cycleJitterMs`. */
  cycleMs: number;
  cycleJitterMs: number;
  /** An app on a single eco web dyno sleeps after this long without a request. */
  idleAfterMs: number;
  /** Between SIGHUP notices to an attached one-off whose client hung up (R16 after three). */
  hangupIntervalMs?: number;
  /** Preboot: how long old web dynos keep serving after the switch before their SIGTERM. Default 5 s. */
  prebootDrainMs?: number;
  /** Memory (R14) and runtime-metrics sampling period (Heroku: about 20 s). */
  metricsIntervalMs: number;
  /** Each runtime sample of a dyno (the metrics history keeps them). */
  onSample?: SamplerOptions['onSample'];
  /** Container ids of this platform start with it, so cleanups never touch another platform's. */
  containerPrefix: string;
  /** A release's stored config snapshot → its vars (the releases component encrypts them at rest). */
  decodeConfig: (stored: string, release: { app_id: string; id: string }) => Record<string, string>;
  /** How a Host matches the custom domains (exact, then wildcard): the router's rule, passed in. */
  lookupHost: (domains: ReadonlyMap<string, string>, hostname: string) => string | undefined;
  /**
   * Several platform processes (store/leader.ts): until start() (this process leads), wakes and restarts
   * go to the leader through this; unset (one process), they act here even before start().
   */
  leader?: (notice: LeaderNotice) => void;
  /** Told of formation changes (`previous`: the changed fields' old values) and one-off dynos started; must return at once (app webhooks). */
  onChange?: {
    formation?(row: FormationRow, user: Actor, previous: Partial<FormationRow>): void; dyno?(appId: string, dyno: Dyno, user: string): void;
    state?(appId: string, dyno: Dyno, previous: string): void;
  };
  /** SLIPWAY_RUNTIME=swarm: formation dynos run as the engine's services (one-offs stay on `runtime`). */
  cluster?: ClusterFormation;
  logger?: Logger;
}
