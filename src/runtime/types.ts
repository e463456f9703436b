// The runtime's public face: how a build or a dyno runs as an isolated Linux process.
// The dyno manager and the build orchestrator only see these types; `runc` is one implementation
// (the default), `process` another (plain child processes, nothing isolated, loud about it).
import type { Readable } from 'node:stream';

export interface Mount {
  /** Absolute host path. */
  source: string;
  /** Absolute path inside the container. */
  destination: string;
  readonly: boolean;
}

export interface ContainerSpec {
  /** Unique, also the runc container id. Always starts with the runtime's prefix (`slipway-`). */
  id: string;
  /** Hostname inside the container (the dyno name, e.g. `web.1`, or `build`). */
  hostname: string;
  /** Command and arguments, run as-is (no shell added by the runtime). */
  argv: string[];
  /** The complete environment; nothing of the host's leaks in. */
  env: Record<string, string>;
  /** Working directory inside the container. */
  cwd: string;
  /**
   * `/app` for a dyno: `lower` is the release's unpacked slug (read-only, shared by every dyno of the
   * release); the container sees it through a private writable layer that is discarded on delete().
   * Omit for builds (they bind-mount their build dir instead). `layers`: read-only trees stacked beneath
   * `lower` (a slug's layers, shared with other apps' dynos), the first nearest to it.
   */
  app?: { lower: string; layers?: readonly string[] };
  /** Extra bind mounts (build dir, cache dir, env dir, buildpacks, runtime cache ...). */
  mounts: Mount[];
  /** Hard memory limit in bytes (cgroup); the kernel kills the container past it. */
  memoryLimitBytes: number;
  /** Max processes + threads (cgroup pids). */
  pidsLimit: number;
  /** Size of the /tmp tmpfs in bytes. */
  tmpBytes?: number;
  /** Relative CPU weight (cgroup cpu.shares; 1024 = one standard share). Default 1024. */
  cpuShares?: number;
  /** Most bytes the container may write into its private /app layer; writes past it fail with ENOSPC. */
  appDiskBytes?: number;
  /**
   * `isolated` (default for dynos): the container gets its own network namespace, reachable from the host
   * at `Container.address`, with outbound traffic NATed; it cannot reach the host's own ports (except
   * those the runtime was told to allow) nor any other container. `host`: the host's network (tests of
   * the fallback, and runtimes that cannot make namespaces).
   */
  network?: 'isolated' | 'host';
  /** Keep the container's stdin open as `Container.stdin` (attached one-off dynos). Default: no stdin. */
  stdin?: boolean;
  /**
   * Whose code runs (the app's id): every container of one tenant runs as that tenant's own uid
   * (`Runtime.userFor`), never shared with another tenant nor a host login user. Containers without
   * one share a tenant of their own (`NO_TENANT`).
   */
  tenant?: string;
}

export interface ContainerStats {
  /** Resident memory of the container's processes (cgroup rss + mapped file pages), bytes. */
  rssBytes: number;
  /** Page cache charged to the container, bytes. */
  cacheBytes: number;
  /** Swap used by the container, bytes. */
  swapBytes: number;
  /** Pages paged in / out since the container started. */
  pgpgin: number;
  pgpgout: number;
  /** Processes and threads in the container that are runnable right now (state R), for load averages. */
  runnable: number;
}

export interface ExitStatus {
  /** Exit code as a shell would report it: the process's code, or 128 + signal number. */
  code: number;
  /** True when the kernel's OOM killer ended it (memory limit reached). */
  oomKilled: boolean;
}

export interface Container {
  readonly id: string;
  /** Host pid of the container's init process (the argv[0] process). */
  readonly pid: number;
  /** The process's stdout and stderr, as raw byte streams. */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once the container's init process has exited (all its processes are then gone). */
  readonly exited: Promise<ExitStatus>;
  /** Where the host reaches the container's listening ports: its namespace's address, or 127.0.0.1 on host networking. */
  readonly address: string;
  /** The container's stdin when spec.stdin was set, else null. */
  readonly stdin: import('node:stream').Writable | null;
  /** A memory and CPU sample from the container's cgroup; undefined once the container is gone. */
  stats(): Promise<ContainerStats | undefined>;
  /** Runs a further process inside the running container (same namespaces, user and cgroup); resolves with its exit code. */
  exec(argv: string[], env?: Record<string, string>): Promise<number>;
  /** Send a signal to every process in the container. */
  signal(signal: 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT'): Promise<void>;
  /** Remove everything the container left behind (runc state, cgroup, mounts, writable layer). Idempotent. */
  destroy(): Promise<void>;
}

export interface Runtime {
  readonly name: 'runc' | 'process' | 'swarm';
  /** The root filesystem of the stack's current version (read-only in every container); made once per machine. */
  readonly stackDir: string;
  /** The stack's name, e.g. `slipway-12`. */
  readonly stack: string;
  /** Makes the stack if missing, printing progress through `progress`. */
  prepare(progress: (line: string) => void): Promise<void>;
  start(spec: ContainerSpec): Promise<Container>;
  /**
   * Kills and removes every container whose id starts with `prefix` (left over from a crash), and
   * whatever the runtime made ahead of starts under that prefix (runc: `<container prefix>pool-…`).
   */
  cleanup(prefix: string): Promise<void>;
  /** The uid and gid a tenant's containers run as (what its build dirs and caches must be owned by). */
  userFor(tenant: string): Promise<{ uid: number; gid: number }>;
  /** Gives a destroyed tenant's uid back; false while a process still runs as it (the claim then stays). */
  releaseUser?(tenant: string): Promise<boolean>;
}

/** The tenant of containers whose spec names none. */
export const NO_TENANT = 'slipway:none';

/**
 * The stack's `dyno` account; the process runtime's containers are owned by it. runc containers run as
 * their tenant's uid instead (tenants.ts).
 */
export const DYNO_UID = 1000;
export const DYNO_GID = 1000;
