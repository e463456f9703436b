// Isolated container networking, applied with iproute2, sysctl files and iptables.
//
// Design. Each isolated container gets a network namespace named after its container id
// (`ip netns add <id>`, so /run/netns/<id>, joined by runc through config.json) and a veth pair:
// the host side `sw<8 hex>` holds 10.x.y.1/30, the container side is `eth0` with 10.x.y.2/30 (its
// default route via .1) and `lo` is up. The /30s come from a pool (default 10.213.0.0/16, 16,384
// containers). The host-side name encodes the subnet's address, so creating the veth *is* the
// allocation: the kernel refuses a second link of the same name, which makes it atomic across
// concurrent starts and processes, and the link table is the record that survives a platform crash
// (no lease file to get out of step). The veth's alias is the container id, so cleanup(prefix) finds
// veths and namespaces by id even when the platform's state dir is gone. Deleting the host veth
// deletes its peer; the namespace is deleted explicitly (deleting only the namespace would remove the
// veth asynchronously, after the caller was told everything was gone).
//
// Outbound: net.ipv4.ip_forward=1 and the pool MASQUERADEd out of the host, so builds reach package
// registries and apps the internet, DNS included (resolv.conf is the host's; a resolver on the host's
// loopback, e.g. systemd-resolved's 127.0.0.53, cannot serve containers). The veth MTU follows the
// default route's interface, so no packet needs fragmenting on the way out.
//
// Isolation, by iptables chains of our own (`<prefix>-INPUT`, `-FORWARD`, nat `-POSTROUTING`, the
// prefix `SLIPWAY` by default), each jumped to first from the built-in chain; their rules are in
// netplan.ts firewallRules(). In short: from the pool to any of the host's own addresses (the veth's
// .1 included) only replies to connections the host opened (the router reaching a dyno) and the
// allowed host ports (add-on services) pass, the rest is REJECTed; container to container is refused;
// link-local and private ranges (the cloud metadata address, the LAN) are REJECTed, except the host's
// resolvers on port 53, the add-on pool and what the operator allowed (SLIPWAY_ALLOW_PRIVATE_TARGETS);
// nothing from outside may open a connection to a container. REJECT rather than DROP for what a
// container sends, so its connect() fails at once instead of hanging for minutes; DROP for what comes
// from outside. The rules are per pool, never per container, so starting and destroying a container
// touches no rule. They are (re)applied atomically, at most one application at a time per runtime,
// before each isolated start, so a flushed firewall is restored before the next dyno runs; a failure to
// apply them fails the start (never a container without isolation). removeFirewall() takes them out
// (uninstall, tests); ip_forward stays on, because other software may rely on it too.
//
// Prepared ahead (issue #14): with a pool prefix, up to `poolSize` namespaces are made ahead of the
// starts that need them (prepared.ts), each named `<poolPrefix><its veth>` with its veth aliased the
// same; create(id) takes one, re-aliases its veth to the container id (a sysfs write) and links
// /run/netns/<id> to it, so the veth and the namespace are found by id as always (and the pooled name
// by the veth's). A pooled namespace is made exactly as a
// container's own (the same steps), holds nothing but lo, eth0 and its route until taken, and is
// deleted with its container, never pooled again. The firewall is per pool, not per container, so a
// pooled namespace has exactly the rules its container would have had; it is still checked (and
// restored) at every take, as at every start. A sweep finds pooled namespaces by the prefix (it
// starts with the platform's container prefix) like any container's.
//
// IPv6 is disabled on the host-side veth: otherwise a container could reach the host's [::] listeners
// over link-local addresses, past the IPv4 rules. Strict reverse-path filtering on it drops packets
// whose source is not the container's own address. Containers have no capabilities, so they cannot
// change their address or routes anyway.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { access, lstat, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PreparedPool } from './prepared.ts';
import {
  DEFAULT_CHAIN_PREFIX, DEFAULT_POOL, countJumps, defaultRouteInterface, firewallInPlace, firewallRules, jumps, chainNames, parsePool,
  pickSubnet, resolversOf, subnetAt, subnetOfVeth, validateChainPrefix, validatePorts, type FirewallPlan, type Pool, type Subnet,
} from './netplan.ts';
import { runCommand as run } from '../supervise/command.ts';

const NETNS_DIR = '/run/netns';
const SYS_NET = '/sys/class/net';
const TOOL_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
/** Tries before giving up when other starters keep taking the subnet we picked. */
const ALLOCATION_ATTEMPTS = 16;

export interface NetworkOptions {
  /** IPv4 CIDR the containers' /30s come from. Default 10.213.0.0/16. */
  pool?: string;
  /** Host TCP ports containers may connect to (add-on services). Default none. */
  allowHostPorts?: number[];
  /** Names this runtime's iptables chains; one configuration per prefix on a machine. Default SLIPWAY. */
  chainPrefix?: string;
  /** Whose nameservers containers may always reach on port 53 (read at each check). Default /etc/resolv.conf. */
  resolvConf?: string;
  /** CIDRs containers may always open TCP connections to (the add-on pool). */
  openTargets?: string[];
  /** Internal IPv4 ranges the operator allowed (SLIPWAY_ALLOW_PRIVATE_TARGETS); default none. */
  allowPrivate?: { all: boolean; ipv4: string[] };
  /** Names namespaces made ahead (`<poolPrefix><veth>`); without it none are. Must start with the runtime's container prefix. */
  poolPrefix?: string;
  /** Most namespaces kept ready. Default 4. */
  poolSize?: number;
  /** Where the pool's failures to make a namespace go (the start then makes its own). */
  onPoolError?: (err: Error) => void;
}

/** Namespaces kept ready when a pool prefix is given. */
export const DEFAULT_NETNS_POOL = 4;

export interface ContainerNetwork {
  /** For config.json's network namespace. */
  netnsPath: string;
  /** The container's eth0 address: where the host reaches its ports. */
  address: string;
  /** The host side's address: the container's default gateway (and where allowed host ports answer). */
  gateway: string;
  veth: string;
}

export class HostNetwork {
  readonly pool: Pool;
  readonly allowHostPorts: readonly number[];
  readonly chainPrefix: string;
  private readonly resolvConf: string;
  private readonly openTargets: readonly string[];
  private readonly allowPrivate: { all: boolean; ipv4: readonly string[] };
  private applying?: Promise<void>;
  private readonly poolPrefix?: string;
  /** Namespaces made ahead (see the header); undefined without a pool prefix. */
  readonly prepared?: PreparedPool<ContainerNetwork>;

  constructor(options: NetworkOptions = {}) {
    this.pool = parsePool(options.pool ?? DEFAULT_POOL);
    this.allowHostPorts = [...(options.allowHostPorts ?? [])];
    validatePorts(this.allowHostPorts);
    this.chainPrefix = options.chainPrefix ?? DEFAULT_CHAIN_PREFIX;
    validateChainPrefix(this.chainPrefix);
    this.resolvConf = options.resolvConf ?? '/etc/resolv.conf';
    this.openTargets = [...(options.openTargets ?? [])];
    this.allowPrivate = options.allowPrivate ?? { all: false, ipv4: [] };
    // The plan's rules validate them; fail at construction rather than at the first dyno.
    firewallRules(this.plan([]));
    if (options.poolPrefix !== undefined) {
      const poolPrefix = options.poolPrefix;
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$/.test(poolPrefix)) throw new Error(`namespace pool prefix ${JSON.stringify(poolPrefix)} must be 1-41 letters, digits, _ . or -`);
      this.poolPrefix = poolPrefix;
      this.prepared = new PreparedPool<ContainerNetwork>({
        size: options.poolSize ?? DEFAULT_NETNS_POOL,
        make: () => this.makeNamespace(undefined),
        discard: (n) => this.removeVeth(n.veth),
        intact: async (n) => (await exists(n.netnsPath)) && (await exists(path.join(SYS_NET, n.veth))),
        onError: options.onPoolError ?? (() => undefined),
      });
    }
  }

  private plan(resolvers: string[]): FirewallPlan {
    return {
      pool: this.pool, allowHostPorts: this.allowHostPorts, chainPrefix: this.chainPrefix,
      resolvers, openTargets: this.openTargets, allowPrivate: this.allowPrivate,
    };
  }

  /**
   * Makes the namespace and veth for container `id`, with the firewall checked (and restored if
   * needed) alongside; on failure nothing of it remains.
   */
  async create(id: string): Promise<ContainerNetwork> {
    const [firewall, made] = await Promise.allSettled([this.ensureFirewall(), this.takeNamespace(id)]);
    if (firewall.status === 'fulfilled' && made.status === 'fulfilled') return made.value;
    await this.remove(id).catch(() => undefined);
    const err = (firewall.status === 'rejected' ? firewall.reason : (made as PromiseRejectedResult).reason) as Error;
    throw new Error(`container ${id}: cannot set up its network: ${err.message}`);
  }

  /** A prepared namespace re-aliased to `id`, or one made for it now when none is ready. */
  private async takeNamespace(id: string): Promise<ContainerNetwork> {
    const ready = await this.prepared?.take();
    if (!ready) return this.makeNamespace(id);
    try {
      await writeFile(path.join(SYS_NET, ready.veth, 'ifalias'), id);
      // `ip netns exec <container id>` works as for a namespace made for it (a link, no process).
      await symlink(path.basename(ready.netnsPath), path.join(NETNS_DIR, id));
    } catch (err) {
      await this.removeVeth(ready.veth).catch(() => undefined);
      throw err;
    }
    return ready;
  }

  /**
   * A namespace with its veth, addresses and routes: named `id` for a container's own, or (id
   * undefined) `<poolPrefix><veth>` for the pool, whose veth is then aliased with that name too.
   */
  private async makeNamespace(id: string | undefined): Promise<ContainerNetwork> {
    const mtu = await defaultRouteMtu();
    let subnet: Subnet | undefined;
    let ns = id;
    try {
      if (id !== undefined) await ip(['netns', 'add', id]);
      ({ subnet, ns } = await this.claimSubnet(id, mtu));
      // Before the link goes up, so the host side never gets an IPv6 address.
      await writeFile(`/proc/sys/net/ipv6/conf/${subnet.veth}/disable_ipv6`, '1');
      await writeFile(`/proc/sys/net/ipv4/conf/${subnet.veth}/rp_filter`, '1');
      await ipBatches([
        `link set dev ${subnet.veth} alias ${ns}`,
        `address add ${subnet.gateway}/30 dev ${subnet.veth}`,
        `link set dev ${subnet.veth} up`,
      ], ns, [
        `address add ${subnet.address}/30 dev eth0`,
        'link set dev eth0 up',
        'link set dev lo up',
        `route add default via ${subnet.gateway}`,
      ]);
      return { netnsPath: path.join(NETNS_DIR, ns), address: subnet.address, gateway: subnet.gateway, veth: subnet.veth };
    } catch (err) {
      // The veth may not carry its alias yet, so it is deleted by name, not found by alias.
      if (subnet) await deleteLink(subnet.veth).catch(() => undefined);
      // A container's own namespace goes with create()'s cleanup; a pooled one has no owner yet.
      if (id === undefined && ns !== undefined) await deleteNetns(ns).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Creates the veth pair on a free /30; the kernel's refusal of a taken name is the lock. Its peer
   * goes into namespace `id`, or into a new one named after the veth for the pool.
   */
  private async claimSubnet(id: string | undefined, mtu: number): Promise<{ subnet: Subnet; ns: string }> {
    const lost = new Set<number>();
    for (let attempt = 0; attempt < ALLOCATION_ATTEMPTS; attempt++) {
      const index = pickSubnet(this.pool, await readdir(SYS_NET), randomInt(this.pool.size), lost);
      if (index === undefined) throw new Error(`address pool ${this.pool.cidr} is full`);
      const subnet = subnetAt(this.pool, index);
      const ns = id ?? this.pooledName(subnet.veth)!;
      try {
        if (id === undefined) await ip(['netns', 'add', ns]);
        await ip(['link', 'add', 'name', subnet.veth, 'mtu', String(mtu), 'type', 'veth',
          'peer', 'name', 'eth0', 'mtu', String(mtu), 'netns', ns]);
        return { subnet, ns };
      } catch (err) {
        if (id === undefined) await deleteNetns(ns).catch(() => undefined);
        if (!/File exists/i.test((err as Error).message)) throw err;
        lost.add(index);
      }
    }
    throw new Error(`no free subnet in ${this.pool.cidr} after ${ALLOCATION_ATTEMPTS} attempts`);
  }

  /** The pool's name for the namespace behind host-side veth `veth`. */
  private pooledName(veth: string): string | undefined {
    return this.poolPrefix === undefined ? undefined : this.poolPrefix + veth;
  }

  /** Removes the container's veth and namespace (its own, or the pooled one it took); idempotent. */
  async remove(id: string): Promise<void> {
    for (const veth of await vethsWhere((alias) => alias === id)) await this.removeVeth(veth);
    await deleteNetns(id);
  }

  /** Deletes a host-side veth (its peer with it) and the pooled namespace named after it, if any. */
  private async removeVeth(veth: string): Promise<void> {
    await deleteLink(veth);
    const pooled = this.pooledName(veth);
    if (pooled !== undefined) await deleteNetns(pooled);
  }

  /** Ids (by prefix) that still have a namespace or an aliased veth: leftovers of a crash. */
  async leftoverIds(prefix: string): Promise<string[]> {
    const ids = new Set<string>();
    for (const name of await readdir(NETNS_DIR).catch(() => [] as string[])) if (name.startsWith(prefix)) ids.add(name);
    for (const veth of await vethsWhere((alias) => alias.startsWith(prefix))) {
      ids.add((await readFile(path.join(SYS_NET, veth, 'ifalias'), 'utf8').catch(() => '')).trim());
    }
    ids.delete('');
    return [...ids];
  }

  /**
   * Makes sure forwarding is on and the firewall is exactly as planned: one `iptables-save` (~4 ms)
   * when it is, an atomic re-application (~25 ms) when it is not. Concurrent callers share one check;
   * the next caller after it settles checks again.
   */
  ensureFirewall(): Promise<void> {
    this.applying ??= this.applyFirewall().finally(() => (this.applying = undefined));
    return this.applying;
  }

  private async applyFirewall(): Promise<void> {
    if ((await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim() !== '1') {
      await writeFile('/proc/sys/net/ipv4/ip_forward', '1');
    }
    const plan = this.plan(resolversOf(await readFile(this.resolvConf, 'utf8').catch(() => '')));
    if (firewallInPlace(await tool('iptables-save', []), plan)) return;
    await iptablesRestore(firewallRules(plan));
    for (const jump of jumps(this.chainPrefix)) {
      const n = countJumps(await iptables(['-t', jump.table, '-S', jump.from]), jump);
      if (n === 0) await iptables(['-t', jump.table, '-I', jump.from, '1', '-j', jump.to]);
      // Two processes inserted it at once: keep one.
      for (let i = 1; i < n; i++) await iptables(['-t', jump.table, '-D', jump.from, '-j', jump.to]);
    }
  }

  /** Takes this runtime's chains and the jumps to them out of the firewall; idempotent. */
  async removeFirewall(): Promise<void> {
    for (const jump of jumps(this.chainPrefix)) {
      const n = countJumps(await iptables(['-t', jump.table, '-S', jump.from]), jump);
      for (let i = 0; i < n; i++) await iptables(['-t', jump.table, '-D', jump.from, '-j', jump.to]);
    }
    const c = chainNames(this.chainPrefix);
    for (const [table, chain] of [['filter', c.input], ['filter', c.forward], ['nat', c.postrouting]] as const) {
      const exists = await iptables(['-t', table, '-S', chain]).then(() => true, () => false);
      if (!exists) continue;
      await iptables(['-t', table, '-F', chain]);
      await iptables(['-t', table, '-X', chain]);
    }
  }
}

/** Host-side veths (by our naming) whose alias satisfies `match`. */
async function vethsWhere(match: (alias: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(SYS_NET).catch(() => [] as string[])) {
    if (subnetOfVeth(name) === undefined) continue;
    const alias = (await readFile(path.join(SYS_NET, name, 'ifalias'), 'utf8').catch(() => '')).trim();
    if (alias && match(alias)) out.push(name);
  }
  return out;
}

/**
 * An `ip ... delete` of something that may go meanwhile: done when it succeeds, when `gone` names its
 * complaint or when `stillThere` says no; a failure that leaves it is tried once more. A namespace
 * deleted at the same moment takes its veth with it, and `ip` has been seen to fail then without a
 * word (a stopped platform's leftover check found the namespace behind it).
 */
async function ipDelete(args: string[], gone: RegExp, stillThere: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await ip(args);
      return;
    } catch (err) {
      if (gone.test((err as Error).message) || !(await stillThere())) return;
      if (attempt >= 1) throw err;
    }
  }
}

function deleteLink(name: string): Promise<void> {
  return ipDelete(['link', 'delete', 'dev', name], /Cannot find device|does not exist/i, () => exists(path.join(SYS_NET, name)));
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

async function deleteNetns(name: string): Promise<void> {
  const file = path.join(NETNS_DIR, name);
  const found = await lstat(file).catch(() => undefined);
  if (!found) return;
  // A container's name for a pooled namespace: only the link goes (`ip netns delete` would unmount its target).
  if (found.isSymbolicLink()) return rm(file, { force: true });
  await ipDelete(['netns', 'delete', name], /No such file/i, async () => (await lstat(file).catch(() => undefined)) !== undefined);
}

/** The MTU of the interface the default route uses (1500 when there is none). */
async function defaultRouteMtu(): Promise<number> {
  const iface = defaultRouteInterface(await readFile('/proc/net/route', 'utf8').catch(() => ''));
  const mtu = iface ? Number((await readFile(path.join(SYS_NET, iface, 'mtu'), 'utf8').catch(() => '')).trim()) : NaN;
  return mtu >= 576 ? mtu : 1500;
}

async function ip(args: string[]): Promise<string> {
  return tool('ip', args);
}

/**
 * The host's `ip -batch` and then namespace `ns`'s, in one shell, so the platform forks once for both
 * (a fork of the platform's process is what costs: disk.ts, mountImage). Each batch stops at its first
 * failing command; the namespace's runs only when the host's succeeded. The commands are the shell's
 * arguments, never part of its script.
 */
async function ipBatches(host: string[], ns: string, inside: string[]): Promise<void> {
  const script = 'printf "%s\\n" "$2" | ip -batch - && printf "%s\\n" "$3" | ip -n "$1" -batch -';
  try {
    await run('/bin/sh', ['-c', script, 'sh', ns, host.join('\n'), inside.join('\n')], { env: TOOL_ENV });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`ip -batch (the host's, then namespace ${ns}'s): ${(e.stderr || e.message).trim()}`);
  }
}

async function iptables(args: string[]): Promise<string> {
  return tool('iptables', ['-w', ...args]);
}

function iptablesRestore(rules: string): Promise<void> {
  return withStdin('iptables-restore', ['-w', '--noflush'], rules);
}

async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { env: TOOL_ENV })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error(`${cmd} is not installed (scripts/install-deps.sh installs it)`);
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

function withStdin(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: TOOL_ENV, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT' ? new Error(`${cmd} is not installed (scripts/install-deps.sh installs it)`) : err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || `exit ${code}`}`));
    });
    child.stdin.on('error', () => undefined); // a failing command may exit before reading; `close` reports it
    child.stdin.end(input);
  });
}
