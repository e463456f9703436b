// The runtime component's entry point: picks and constructs the runtime the platform runs builds
// and dynos with. `auto` takes runc whenever it can work (root on Linux, runc installed), because
// the process runtime isolates nothing.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Runtime } from './types.ts';
import { RuncRuntime } from './runc.ts';
import { ProcessRuntime } from './process.ts';
import { defaultStackDir } from './stack.ts';

export * from './types.ts';
export { RuncRuntime, type RuncRuntimeOptions } from './runc.ts';
export { ProcessRuntime, PROCESS_RUNTIME_WARNING, translate, type ProcessContainer } from './process.ts';
export { STACK_NAME, STACK_VERSION, DEFAULT_STACK_DIR, defaultStackDir, ensureStack, stackRoot, StackError } from './stack.ts';
export { pruneStacks } from './stack-prune.ts';
export { mountsUnder, unmountUnder } from './mounts.ts';
export { cgroupLayout, type CgroupLayout } from './cgroups.ts';
export { DEFAULT_POOL, DEFAULT_CHAIN_PREFIX } from './netplan.ts';

export interface CreateRuntimeOptions {
  kind: 'runc' | 'process' | 'auto';
  /** The stack's directory for runc (its versions inside). Default: $SLIPWAY_STACK_DIR, else /var/lib/slipway/stacks/slipway-12. */
  stackDir?: string;
  /** Per-container state (bundles, writable layers, runc's state); under the platform's data dir. */
  stateDir: string;
  /** runc only: files bound at /etc/hosts and /etc/resolv.conf (default: the host's). */
  hostsFile?: string;
  resolvConf?: string;
  /** runc only: isolated containers' address pool, host ports they may reach, iptables chain prefix. */
  addressPool?: string;
  allowHostPorts?: number[];
  firewallChainPrefix?: string;
  /** runc only: CIDRs containers may always reach over TCP (the add-on pool); internal ranges the operator allowed. */
  openTargets?: string[];
  allowPrivate?: { all: boolean; ipv4: string[] };
  /** runc only: containers' OOM score (0, the kernel's default, unless the platform could not lower its own). */
  oomScoreAdj?: number;
  /** runc only: names the network namespaces made ahead (the container prefix + `pool-`); none without it. */
  poolPrefix?: string;
  /** runc only: where failures to make a namespace ahead go. */
  onPoolError?: (err: Error) => void;
  /** process only: where its not-isolated warnings go (default: the runtime's log, warn level). */
  warn?: (line: string) => void;
}

export function createRuntime(options: CreateRuntimeOptions): Runtime {
  const kind = options.kind === 'auto' ? (runcCanRun() ? 'runc' : 'process') : options.kind;
  if (kind === 'process') return new ProcessRuntime({ stateDir: options.stateDir, warn: options.warn });
  return new RuncRuntime({
    stackDir: options.stackDir ?? defaultStackDir(),
    stateDir: options.stateDir,
    hostsFile: options.hostsFile,
    resolvConf: options.resolvConf,
    addressPool: options.addressPool,
    allowHostPorts: options.allowHostPorts,
    firewallChainPrefix: options.firewallChainPrefix,
    openTargets: options.openTargets,
    allowPrivate: options.allowPrivate,
    oomScoreAdj: options.oomScoreAdj,
    poolPrefix: options.poolPrefix,
    onPoolError: options.onPoolError,
  });
}

/** runc needs root (namespaces, cgroups, mounts) and Linux, and must be installed. */
export function runcCanRun(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir || '.', 'runc'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
