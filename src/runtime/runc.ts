// The default runtime: every build and dyno is an OCI container made by `runc` and run detached under
// a small monitor of its own (conmon, monitor.ts),
// rooted in the read-only stack, with /app as a private overlay over the release's slug (its writable
// layer on a per-container disk of the quota's size, disk.ts), its own network namespace behind the
// host's firewall (network.ts; or the host's network when asked), no capabilities, and cgroup v1
// memory, CPU-share and pids limits. Owns every monitor, bundle dir, namespace, veth, loop mount and
// cgroup it creates, and sweeps those a previous platform process left behind.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { existsSync, openSync } from 'node:fs';
import type { Container, ContainerSpec, ExitStatus, Runtime } from './types.ts';
import { NO_TENANT } from './types.ts';
import { DEFAULT_TENANT_DIR, TenantUids, tenantAccountFiles, type TenantUser } from './tenants.ts';
import { execProcess, normalizeDest, ociConfig, validateSpec, type OciConfig } from './bundle.ts';
import { hasMemsw, leftoverCgroupIds, readMemoryRecord, removeCgroups, wasOomKilled } from './cgroups.ts';
import { unmountUnder } from './mounts.ts';
import { outputEnded } from './streams.ts';
import { MARKER, STACK_NAME, STACK_VERSION, ensureStack, stackRoot } from './stack.ts';
import { HostNetwork, type ContainerNetwork } from './network.ts';
import { APP_DISK_IMAGE, APP_DISK_MOUNT, detachLoops, mountAppDisk, sweepAppDisks } from './disk.ts';
import { PreparedDisks, discardDisk } from './prepared-disks.ts';
import { RuncContainer, ignoreGone, runcErrors, signalNumber, type RuncOperations } from './runc-container.ts';
import { startMonitored, stopMonitor, type Monitored, type MonitorPaths } from './monitor.ts';
import { runCommand as run } from '../supervise/command.ts';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface RuncRuntimeOptions {
  /** The stack's directory (stack.ts); containers are rooted, read-only, in its current version, `<stackDir>/<version>`. */
  stackDir: string;
  /** Where bundles, writable layers and runc's state (`runc/`) live; under the platform's data dir. */
  stateDir: string;
  /** Bound read-only at /etc/hosts. Default: the host's /etc/hosts. */
  hostsFile?: string;
  /** Bound read-only at /etc/resolv.conf. Default: the host's /etc/resolv.conf. */
  resolvConf?: string;
  /** CA bundle bound over the stack's (default: the host's, when it has one). */
  caBundle?: string;
  /** Where isolated containers' /30s come from (IPv4 CIDR). Default 10.213.0.0/16. */
  addressPool?: string;
  /** Host TCP ports isolated containers may connect to (add-on services). Default none. */
  allowHostPorts?: number[];
  /** Names the iptables chains (`<prefix>-INPUT` ...); one configuration per prefix. Default SLIPWAY. */
  firewallChainPrefix?: string;
  /** The machine-wide registry of tenants' uids (tenants.ts). Default /var/lib/slipway/tenants. */
  tenantDir?: string;
  /** CIDRs isolated containers may always open TCP connections to (the add-on pool). */
  openTargets?: string[];
  /** Internal IPv4 ranges isolated containers may reach (SLIPWAY_ALLOW_PRIVATE_TARGETS); default none. */
  allowPrivate?: { all: boolean; ipv4: string[] };
  /** Containers' OOM score (oom_score_adj): 0, the kernel's default, unless the platform could not lower its own. */
  oomScoreAdj?: number;
  /**
   * Names the network namespaces and /app disks made ahead of the starts that take them (network.ts,
   * prepared-disks.ts); must start with the prefix the platform's container ids and cleanup() use, so a
   * sweep finds them. Without it, every start makes its own.
   */
  poolPrefix?: string;
  /** How many namespaces are kept ready. Default 4. */
  netnsPoolSize?: number;
  /** How many /app disks are kept ready per size. Default 4. */
  diskPoolSize?: number;
  /** Where failures to make one ahead go (the start then makes its own). */
  onPoolError?: (err: Error) => void;
}

/** runc only needs standard tools; nothing of the platform's environment reaches it. */
const RUNC_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export class RuncRuntime implements Runtime, RuncOperations {
  readonly name = 'runc' as const;
  readonly stack = STACK_NAME;
  /** The current version's root (stack.ts). */
  readonly stackDir: string;
  private readonly stacksDir: string;
  /**
   * An open file in the stack version this runtime roots containers in, held from its first use to
   * the process's exit: it tells `stack:prune` that this process may still start containers there.
   */
  private stackLease?: number;
  /** Namespaces, veths and the firewall of isolated containers. */
  readonly network: HostNetwork;
  private readonly stateDir: string;
  /** Each running container's environment, for `exec` (not kept on disk: it holds config var values). */
  private readonly envs = new Map<string, string[]>();
  private readonly hostsFile: string;
  private readonly resolvConf: string;
  private readonly caBundle?: string;
  private readonly tenants: TenantUids;
  private readonly oomScoreAdj: number;
  private readonly poolPrefix?: string;
  /** /app disks made ahead (prepared-disks.ts); undefined without a pool prefix. */
  readonly disks?: PreparedDisks;

  constructor(options: RuncRuntimeOptions) {
    this.poolPrefix = options.poolPrefix;
    this.stacksDir = path.resolve(options.stackDir);
    this.stackDir = stackRoot(this.stacksDir);
    this.stateDir = path.resolve(options.stateDir);
    this.hostsFile = options.hostsFile ?? '/etc/hosts';
    this.resolvConf = options.resolvConf ?? '/etc/resolv.conf';
    this.caBundle = options.caBundle ?? (existsSync(HOST_CA_BUNDLE) ? HOST_CA_BUNDLE : undefined);
    this.tenants = new TenantUids(options.tenantDir ?? DEFAULT_TENANT_DIR);
    this.oomScoreAdj = options.oomScoreAdj ?? 0;
    this.network = new HostNetwork({
      pool: options.addressPool, allowHostPorts: options.allowHostPorts, chainPrefix: options.firewallChainPrefix,
      resolvConf: this.resolvConf, openTargets: options.openTargets, allowPrivate: options.allowPrivate,
      poolPrefix: options.poolPrefix, poolSize: options.netnsPoolSize, onPoolError: options.onPoolError,
    });
    if (options.poolPrefix !== undefined) {
      this.disks = new PreparedDisks({
        containersDir: path.join(this.stateDir, 'containers'), prefix: options.poolPrefix, size: options.diskPoolSize,
        onError: options.onPoolError ?? (() => undefined),
      });
    }
  }

  userFor(tenant: string): Promise<TenantUser> {
    return this.tenants.userFor(tenant);
  }

  releaseUser(tenant: string): Promise<boolean> {
    return this.tenants.release(tenant);
  }

  private get runcRoot(): string {
    return path.join(this.stateDir, 'runc');
  }

  private bundleDir(id: string): string {
    return path.join(this.stateDir, 'containers', id);
  }

  /** runc with our state root; resolves with stdout, rejects with runc's own error message. */
  private async runc(args: string[]): Promise<string> {
    try {
      return (await run('runc', ['--root', this.runcRoot, ...args], { env: RUNC_ENV, maxBuffer: 16 << 20 })).stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`runc ${args[0]}: ${(e.stderr || e.message).trim()}`);
    }
  }

  async prepare(progress: (line: string) => void): Promise<void> {
    await ensureStack(this.stacksDir, progress);
    this.holdStack();
  }

  /** Takes the lease on the stack version, failing clearly when that version has not been made. */
  private holdStack(): void {
    if (this.stackLease !== undefined) return;
    try {
      this.stackLease = openSync(path.join(this.stackDir, MARKER), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(`the stack ${STACK_NAME} version ${STACK_VERSION} is not made (${this.stackDir} has no ${MARKER}): run \`slipway stack:make\``);
    }
  }

  async start(spec: ContainerSpec): Promise<Container> {
    validateSpec(spec);
    this.holdStack();
    await this.checkMountPoints(spec);
    const bundle = this.bundleDir(spec.id);
    await mkdir(path.dirname(bundle), { recursive: true, mode: 0o700 });
    await mkdir(this.runcRoot, { recursive: true, mode: 0o700 });
    try {
      await mkdir(bundle, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`container ${spec.id} already exists (destroy it, or cleanup() after a crash)`);
      }
      throw err;
    }
    const destroyLeftovers = (): Promise<void> => this.removeContainer(spec.id);
    try {
      // A disk made ahead becomes this container's: its directory replaces the (empty) bundle dir.
      const preparedDisk = spec.app && spec.appDiskBytes ? await this.disks?.take(spec.appDiskBytes) : undefined;
      if (preparedDisk) {
        await rename(preparedDisk, bundle).catch(async (err: Error) => {
          await discardDisk(preparedDisk).catch(() => undefined);
          throw err;
        });
      }
      const user = await this.userFor(spec.tenant ?? NO_TENANT);
      // Side by side (each takes 10-30 ms); both settle before a failure is handled, so the cleanup
      // never races a half-made namespace or mount.
      const [net, layer, accounts] = await Promise.allSettled([
        (spec.network ?? 'isolated') === 'isolated' ? this.network.create(spec.id) : Promise.resolve(undefined),
        spec.app ? this.makeAppLayer(spec, bundle, user, preparedDisk !== undefined) : Promise.resolve(undefined),
        this.writeAccounts(bundle, user),
      ]);
      if (net.status === 'rejected') throw net.reason;
      if (layer.status === 'rejected') throw layer.reason;
      if (accounts.status === 'rejected') throw accounts.reason;
      const config = ociConfig({
        spec,
        rootDir: this.stackDir,
        appLayer: layer.value,
        hostsFile: this.hostsFile,
        resolvConf: this.resolvConf,
        caBundle: this.caBundle,
        memsw: await hasMemsw(),
        netnsPath: net.value?.netnsPath,
        user,
        accounts: accounts.value,
        oomScoreAdj: this.oomScoreAdj,
      });
      const configFile = path.join(bundle, 'config.json');
      await writeFile(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
      const container = await this.launch(spec, net.value, destroyLeftovers);
      this.refill();
      // runc has read the environment; on disk it would hold config var values in plain text for the
      // dyno's whole life (they are encrypted at rest), so only `exec` keeps it, in memory.
      this.envs.set(spec.id, config.process.env);
      await writeFile(configFile, JSON.stringify({ ...config, process: { ...config.process, env: [] } }, null, 2), { mode: 0o600 });
      return container;
    } catch (err) {
      await destroyLeftovers();
      this.refill();
      throw err;
    }
  }

  /** Makes what starts take ahead again, once a start no longer needs the CPU (prepared.ts). */
  private refill(): void {
    this.network.prepared?.fill();
    this.disks?.fill();
  }

  /**
   * /app's writable layer: upper and work dirs on the container's own disk when it has a quota, else
   * in the bundle dir. The merged /app takes its owner and mode from the upper dir: give it the lower
   * dir's mode and the dyno user, so /app itself is writable like on Heroku.
   */
  private async makeAppLayer(spec: ContainerSpec, bundle: string, user: TenantUser, diskMounted: boolean): Promise<{ upper: string; work: string }> {
    const lower = await stat(spec.app!.lower);
    if (!lower.isDirectory()) throw new Error(`app.lower ${spec.app!.lower} is not a directory`);
    const root = diskMounted ? path.join(bundle, APP_DISK_MOUNT) : spec.appDiskBytes ? await mountAppDisk(bundle, spec.appDiskBytes) : bundle;
    const layer = { upper: path.join(root, 'upper'), work: path.join(root, 'work') };
    await mkdir(layer.upper);
    await mkdir(layer.work, { mode: 0o700 });
    await chown(layer.upper, user.uid, user.gid);
    await chmod(layer.upper, lower.mode & 0o7777);
    return layer;
  }

  /** The stack's /etc/passwd and /etc/group with `dyno` as the tenant's uid, in the bundle (tenants.ts). */
  private async writeAccounts(bundle: string, user: TenantUser): Promise<{ passwd: string; group: string }> {
    const read = (f: string) => readFile(path.join(this.stackDir, 'etc', f), 'utf8').catch(() => '');
    const files = tenantAccountFiles(await read('passwd'), await read('group'), user);
    const out = { passwd: path.join(bundle, 'passwd'), group: path.join(bundle, 'group') };
    await writeFile(out.passwd, files.passwd, { mode: 0o644 });
    await writeFile(out.group, files.group, { mode: 0o644 });
    return out;
  }

  /**
   * runc creates missing mount points inside the root before making it read-only, which would
   * write into the shared stack on the host; refuse instead, naming the paths that do work.
   */
  private async checkMountPoints(spec: ContainerSpec): Promise<void> {
    const dests = spec.mounts.map((m) => normalizeDest(m.destination));
    const under = (p: string, dir: string): boolean => p.startsWith(dir + '/');
    for (const dest of dests) {
      // Under /tmp or the /app overlay, runc creates the mount point in a private layer.
      if (under(dest, '/tmp') || (spec.app && under(dest, '/app')) || dests.some((d) => under(dest, d))) continue;
      try {
        await lstat(path.join(this.stackDir, dest));
      } catch {
        throw new Error(
          `container ${spec.id}: mount point ${dest} does not exist in the stack; use a path under /tmp${spec.app ? ' or /app' : ''}`,
        );
      }
    }
  }

  private async launch(spec: ContainerSpec, net: ContainerNetwork | undefined, destroyLeftovers: () => Promise<void>): Promise<Container> {
    const { id } = spec;
    let m: Monitored;
    try {
      m = await startMonitored(this.monitorPaths(id), { stdin: spec.stdin === true });
    } catch (err) {
      await destroyLeftovers();
      throw err;
    }
    const exited = m.ended.then(async (code): Promise<ExitStatus> => {
      // runc keeps a stopped container (and its cgroup) until it is deleted: the memory controller's
      // OOM record is read first.
      const oomKilled = wasOomKilled(await readMemoryRecord(id), code);
      // The record is read: delete now, so a stopped container never holds a cgroup or runc state
      // even if the caller is slow to destroy() it. A failure here is not lost: destroy() runs the
      // same delete again and reports it; `exited` itself only reports how the process ended.
      await this.runc(['delete', '--force', id]).catch(() => undefined);
      await outputEnded([m.stdout, m.stderr]);
      return { code, oomKilled };
    });
    return new RuncContainer({
      id, pid: m.pid, stdin: m.stdin, running: () => !m.done(), stdout: m.stdout, stderr: m.stderr, exited,
      address: net?.address ?? '127.0.0.1',
      execCwd: spec.app ? '/app' : spec.cwd,
    }, this);
  }

  private monitorPaths(id: string): MonitorPaths {
    return { id, bundle: this.bundleDir(id), runcRoot: this.runcRoot, exitDir: path.join(this.stateDir, 'exits') };
  }

  /** Used by RuncContainer.signal(). */
  async kill(id: string, signal: string): Promise<void> {
    await this.runc(['kill', '--all', id, signal]).catch(ignoreGone);
  }

  /**
   * Used by RuncContainer.exec(): `runc exec` of the container's own process (user, capabilities,
   * limits) with new arguments. Its output is discarded (callers want the exit code); a failure of runc
   * itself (the container is not running ...) rejects, with runc's message.
   */
  async exec(id: string, argv: string[], cwd: string, env?: Record<string, string>): Promise<number> {
    const bundle = this.bundleDir(id);
    const config = await readFile(path.join(bundle, 'config.json'), 'utf8').catch(() => {
      throw new Error(`exec in container ${id}: the container is gone`);
    });
    const processFile = path.join(bundle, `exec-${randomUUID()}.json`);
    const logFile = `${processFile}.log`;
    const base = (JSON.parse(config) as OciConfig).process;
    await writeFile(processFile, JSON.stringify(execProcess({ ...base, env: this.envs.get(id) ?? base.env }, argv, cwd, env)), { mode: 0o600 });
    try {
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(
          'runc',
          ['--root', this.runcRoot, '--log', logFile, '--log-format', 'json', 'exec', '--process', processFile, id],
          { stdio: 'ignore', env: RUNC_ENV, detached: true },
        );
        child.on('error', reject);
        child.on('exit', (c, signal) => resolve(c ?? 128 + signalNumber(signal)));
      });
      const errors = await runcErrors(logFile);
      if (errors.length > 0) throw new Error(`exec in container ${id}: ${errors.join('; ')}`);
      return code;
    } finally {
      await rm(processFile, { force: true });
      await rm(logFile, { force: true });
    }
  }

  /**
   * Removes everything of one container; safe on a container that is half made or already gone.
   * Processes first (runc, then whatever its cgroups still hold), so nothing uses the namespace or
   * the /app disk when they go.
   */
  async removeContainer(id: string): Promise<void> {
    this.envs.delete(id);
    const bundle = this.bundleDir(id);
    // Every step is tried whatever an earlier one threw (a cgroup that will not go must not keep the
    // namespace and the /app disk); the first failure is reported.
    const failures: unknown[] = [];
    for (const step of [
      () => this.runc(['delete', '--force', id]).catch(ignoreGone),
      () => stopMonitor(this.monitorPaths(id)),
      () => removeCgroups(id),
      () => this.network.remove(id),
      // The /app disk is the one host mount (the overlay itself lives in the container's namespace);
      // this also covers an operator's manual mount under the bundle.
      () => unmountUnder(bundle),
      () => detachLoops(path.join(bundle, APP_DISK_IMAGE)),
      () => rm(bundle, { recursive: true, force: true }),
    ]) await step().catch((err: unknown) => failures.push(err));
    if (failures.length) throw failures[0];
  }

  async cleanup(prefix: string): Promise<void> {
    // Namespaces made ahead under this prefix go too; the pool fills again at the next start.
    if (this.poolPrefix?.startsWith(prefix)) await Promise.all([this.network.prepared?.drain(), this.disks?.drain()]);
    const ids = new Set<string>();
    const listed = await this.runc(['list', '--format', 'json']).catch(() => 'null');
    for (const c of (JSON.parse(listed || 'null') ?? []) as { id: string }[]) {
      if (c.id.startsWith(prefix)) ids.add(c.id);
    }
    for (const dir of ['containers', 'exits']) {
      for (const name of await readdir(path.join(this.stateDir, dir)).catch(() => [] as string[])) {
        if (name.startsWith(prefix)) ids.add(name);
      }
    }
    for (const id of await leftoverCgroupIds(prefix)) ids.add(id);
    for (const id of await this.network.leftoverIds(prefix)) ids.add(id);
    for (const id of ids) await this.removeContainer(id);
    // /app disks of containers whose state dir is another one, or was deleted.
    await sweepAppDisks(prefix);
  }

  /** Takes this runtime's firewall chains out (uninstall, tests); running isolated containers lose NAT. */
  async removeFirewall(): Promise<void> {
    await this.network.removeFirewall();
  }
}
