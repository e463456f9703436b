// Pure generation of a container's OCI runtime config (config.json) from a ContainerSpec: which
// namespaces, mounts, limits and credentials a build or dyno gets. No I/O here; runc.ts writes it.
import path from 'node:path';
import type { ContainerSpec } from './types.ts';
import { MIN_APP_DISK_BYTES } from './disk.ts';
import { seccompProfile, type SeccompProfile } from './seccomp.ts';
import type { TenantUser } from './tenants.ts';

/** /tmp's size when the spec does not say (Heroku dynos have a comparable scratch space). */
export const DEFAULT_TMP_BYTES = 512 * 1024 * 1024;
export const NOFILE_LIMIT = 10000;
/** cgroup v1 cpu.shares of one standard share; the kernel accepts 2 to 262144. */
export const DEFAULT_CPU_SHARES = 1024;

export interface BundleInput {
  spec: ContainerSpec;
  /** The stack: the container's root filesystem, mounted read-only. */
  rootDir: string;
  /** Host paths of /app's writable layer (same filesystem); required when spec.app is set. */
  appLayer?: { upper: string; work: string };
  /** Host files bound read-only at /etc/hosts and /etc/resolv.conf so names resolve as on the host. */
  hostsFile: string;
  resolvConf: string;
  /**
   * The machine's CA bundle, bound read-only over the stack's, so builds and dynos trust what the host
   * trusts (a site CA or an egress proxy's CA); omitted when the host has none.
   */
  caBundle?: string;
  /** Whether the kernel accounts memory+swap (memory.memsw.*); only then can swap be capped. */
  memsw: boolean;
  /** The network namespace to join (a path under /run/netns); required unless spec.network is `host`. */
  netnsPath?: string;
  /** The tenant's uid and gid (tenants.ts): the process runs as them. */
  user: TenantUser;
  /** Files bound read-only at /etc/passwd and /etc/group, naming the tenant's uid `dyno`. */
  accounts?: { passwd: string; group: string };
  /** The container's OOM score (oom_score_adj); default 0, the kernel's. */
  oomScoreAdj?: number;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** A container's process as the OCI runtime spec has it (also what `runc exec --process` reads). */
export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number; additionalGids: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: Record<'bounding' | 'effective' | 'inheritable' | 'permitted' | 'ambient', string[]>;
  rlimits: { type: string; hard: number; soft: number }[];
  noNewPrivileges: boolean;
  oomScoreAdj: number;
}

/** The subset of the OCI runtime spec (v1.0.2) that Slipway emits. */
export interface OciConfig {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    cgroupsPath: string;
    namespaces: { type: string; path?: string }[];
    resources: {
      devices: { allow: boolean; access: string }[];
      memory: { limit: number; swap?: number };
      cpu: { shares: number };
      pids: { limit: number };
    };
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp: SeccompProfile;
  };
}

/** runc's own rule for container ids; ours are also used as directory and cgroup names. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
/** overlayfs splits its options on `,` and lowerdir on `:`; such paths cannot be passed safely. */
const OVERLAY_UNSAFE = /[,:\\]/;

/** The cgroup (v1) path every controller uses for a container, relative to the controller root. */
export function cgroupPath(id: string): string {
  return `/slipway/${id}`;
}

/** A container path in canonical form: normalized, without a trailing slash (except `/`). */
export function normalizeDest(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Throws a message a caller can act on when the spec cannot become a valid container. */
export function validateSpec(spec: ContainerSpec): void {
  const fail = (msg: string): never => {
    throw new Error(`invalid container spec ${JSON.stringify(spec.id)}: ${msg}`);
  };
  if (!ID_PATTERN.test(spec.id) || spec.id.length > 200) fail('id must be letters, digits and _.+- only');
  if (!spec.hostname || spec.hostname.length > 64 || /[^A-Za-z0-9._-]/.test(spec.hostname)) {
    fail('hostname must be 1-64 letters, digits and ._-');
  }
  if (spec.argv.length === 0) fail('argv is empty');
  for (const key of Object.keys(spec.env)) {
    if (!key || key.includes('=') || key.includes('\0')) fail(`bad environment variable name ${JSON.stringify(key)}`);
    if (spec.env[key]!.includes('\0')) fail(`environment variable ${key} contains a NUL byte`);
  }
  if (!path.isAbsolute(spec.cwd)) fail('cwd must be absolute');
  if (!(spec.memoryLimitBytes >= 4 * 1024 * 1024)) fail('memoryLimitBytes must be at least 4 MB');
  if (!(spec.pidsLimit >= 1)) fail('pidsLimit must be at least 1');
  if (spec.tmpBytes !== undefined && !(spec.tmpBytes >= 1024 * 1024)) fail('tmpBytes must be at least 1 MB');
  if (spec.cpuShares !== undefined && !(Number.isInteger(spec.cpuShares) && spec.cpuShares >= 2 && spec.cpuShares <= 262144)) {
    fail('cpuShares must be an integer from 2 to 262144');
  }
  if (spec.appDiskBytes !== undefined) {
    if (!spec.app) fail('appDiskBytes limits the /app layer, so it needs app');
    if (!(Number.isSafeInteger(spec.appDiskBytes) && spec.appDiskBytes >= MIN_APP_DISK_BYTES)) {
      fail(`appDiskBytes must be at least ${MIN_APP_DISK_BYTES / 1024 / 1024} MB`);
    }
  }
  if (spec.network !== undefined && spec.network !== 'isolated' && spec.network !== 'host') fail('network must be isolated or host');
  for (const dir of spec.app ? [spec.app.lower, ...(spec.app.layers ?? [])] : []) {
    if (!path.isAbsolute(dir) || OVERLAY_UNSAFE.test(dir)) fail('app.lower and app.layers must be absolute paths without , : or \\');
  }
  for (const m of spec.mounts) {
    if (!path.isAbsolute(m.source) || !path.isAbsolute(m.destination)) fail('mount paths must be absolute');
    if (normalizeDest(m.destination) === '/') fail('cannot mount over /');
  }
}

export function ociConfig(input: BundleInput): OciConfig {
  const { spec } = input;
  validateSpec(spec);
  const isolated = (spec.network ?? 'isolated') === 'isolated';
  if (isolated && !input.netnsPath) throw new Error(`container ${spec.id}: isolated network without a network namespace`);
  if (spec.app && !input.appLayer) throw new Error(`container ${spec.id}: app given without a writable layer`);
  const noCaps: string[] = [];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [input.user.gid] },
      args: [...spec.argv],
      env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      cwd: spec.cwd,
      // Nothing a dyno does needs a capability; with none in any set (and noNewPrivileges) even a
      // setuid binary in the stack cannot hand one back.
      capabilities: { bounding: noCaps, effective: noCaps, inheritable: noCaps, permitted: noCaps, ambient: noCaps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: NOFILE_LIMIT, soft: NOFILE_LIMIT }],
      noNewPrivileges: true,
      // The platform lowers its own OOM score (platform/oom.ts); a container runs at the kernel's default,
      // or above the platform's where the platform could not lower its own, so under memory pressure a
      // tenant's process is killed before the platform.
      oomScoreAdj: input.oomScoreAdj ?? 0,
    },
    root: { path: input.rootDir, readonly: true },
    hostname: spec.hostname,
    mounts: mounts(input),
    linux: {
      cgroupsPath: cgroupPath(spec.id),
      // `isolated`: the namespace network.ts made (veth, address, firewall). `host`: the host's network.
      namespaces: [
        { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' },
        ...(isolated ? [{ type: 'network', path: input.netnsPath }] : []),
      ],
      resources: {
        // Deny every device node; runc still allows its default set (null, zero, tty, urandom ...).
        devices: [{ allow: false, access: 'rwm' }],
        // cgroup v1's `swap` is memory+swap: equal to the limit means no swap beyond it.
        memory: input.memsw
          ? { limit: spec.memoryLimitBytes, swap: spec.memoryLimitBytes }
          : { limit: spec.memoryLimitBytes },
        cpu: { shares: spec.cpuShares ?? DEFAULT_CPU_SHARES },
        pids: { limit: spec.pidsLimit },
      },
      // The same lists as `runc spec`: kernel interfaces a container must not read or change.
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      seccomp: seccompProfile(),
    },
  };
}

function mounts(input: BundleInput): OciMount[] {
  const { spec } = input;
  const tmpBytes = spec.tmpBytes ?? DEFAULT_TMP_BYTES;
  const list: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    // The container's own cgroups, read-only (runc binds each controller's container directory), as
    // `runc spec` has it: the JVM's container support and Heroku's JVM buildpack size the heap from
    // memory.limit_in_bytes, and a dyno can read its own usage.
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', `size=${tmpBytes}`] },
    bind(input.resolvConf, '/etc/resolv.conf', true),
    bind(input.hostsFile, '/etc/hosts', true),
    ...(input.caBundle ? [bind(input.caBundle, '/etc/ssl/certs/ca-certificates.crt', true)] : []),
    ...(input.accounts ? [bind(input.accounts.passwd, '/etc/passwd', true), bind(input.accounts.group, '/etc/group', true)] : []),
  ];
  if (spec.app && input.appLayer) {
    // Mounted by runc inside the container's mount namespace, so it vanishes with the container
    // even if nobody calls destroy(); only the upper/work dirs remain to be removed. Verified on
    // this machine's kernel with the state dir on ext4; where overlayfs is missing, or the state
    // dir is itself on overlayfs, runc fails the start with that error (no silent copy fallback).
    list.push({
      destination: '/app',
      type: 'overlay',
      source: 'overlay',
      options: [
        'nosuid', 'nodev',
        `lowerdir=${[spec.app.lower, ...(spec.app.layers ?? [])].join(':')}`, `upperdir=${input.appLayer.upper}`, `workdir=${input.appLayer.work}`,
      ],
    });
  }
  // Parents before children, so a mount inside another bind lands on top of it, not under it.
  const depth = (p: string): number => normalizeDest(p).split('/').filter(Boolean).length;
  const extra = [...spec.mounts].sort((a, b) => depth(a.destination) - depth(b.destination));
  for (const m of extra) list.push(bind(m.source, normalizeDest(m.destination), m.readonly));
  return list;
}

function bind(source: string, destination: string, readonly: boolean): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', readonly ? 'ro' : 'rw', 'nosuid', 'nodev'] };
}

/**
 * The process `runc exec --process` runs inside a running container: the container's own process
 * (user, no capabilities, rlimits) with new arguments, the container's environment unless `env` is
 * given (then exactly that), and `cwd`.
 */
export function execProcess(base: OciProcess, argv: string[], cwd: string, env?: Record<string, string>): OciProcess {
  if (argv.length === 0) throw new Error('exec: argv is empty');
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!k || k.includes('=') || k.includes('\0') || v.includes('\0')) throw new Error(`exec: bad environment variable ${JSON.stringify(k)}`);
  }
  return {
    ...base,
    terminal: false,
    args: [...argv],
    env: env ? Object.entries(env).map(([k, v]) => `${k}=${v}`) : [...base.env],
    cwd,
  };
}
