// Pure planning for isolated container networks (network.ts applies it): the address pool and its /30
// subnets, the host-side veth name that encodes a subnet, which subnet to take next, and the exact
// iptables rules. No I/O here, so every rule and address is unit-tested (netplan.test.ts).
import { PRIVATE_IPV4 } from '../egress/index.ts';

/** Dynos' addresses come from here unless the runtime is told otherwise. */
export const DEFAULT_POOL = '10.213.0.0/16';
/** iptables chains are `<prefix>-INPUT`, `<prefix>-FORWARD` (filter) and `<prefix>-POSTROUTING` (nat). */
export const DEFAULT_CHAIN_PREFIX = 'SLIPWAY';
/**
 * Every host-side veth any Slipway runtime makes is `sw` + 8 hex digits (the subnet's address), so
 * `sw+` in a rule means "some container's veth", whatever pool it came from. Linux allows 15 chars.
 */
export const VETH_PREFIX = 'sw';
export const VETH_WILDCARD = `${VETH_PREFIX}+`;
const VETH_NAME = /^sw([0-9a-f]{8})$/;

export interface Pool {
  /** The pool's first address as a 32-bit unsigned number. */
  base: number;
  prefixLength: number;
  /** How many /30 subnets it holds. */
  size: number;
  /** Canonical `a.b.c.d/n` text, as iptables prints it. */
  cidr: string;
}

/** One container's /30: the host side (gateway) is .1, the container's eth0 is .2. */
export interface Subnet {
  /** The /30's network address as a number; also what the veth name encodes. */
  base: number;
  gateway: string;
  address: string;
  veth: string;
}

export function ipToNumber(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/n` (8 ≤ n ≤ 30, the address aligned to n), else throws a message naming the fix. */
export function parsePool(cidr: string): Pool {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  const prefixLength = m ? Number(m[2]) : NaN;
  if (!m || !(prefixLength >= 8 && prefixLength <= 30)) {
    throw new Error(`address pool ${JSON.stringify(cidr)} must be an IPv4 CIDR from /8 to /30, e.g. ${DEFAULT_POOL}`);
  }
  const base = ipToNumber(m[1]!);
  const span = 2 ** (32 - prefixLength);
  if (base % span !== 0) {
    throw new Error(`address pool ${cidr}: ${m[1]} is not the start of a /${prefixLength} (try ${numberToIp(base - (base % span))}/${prefixLength})`);
  }
  return { base, prefixLength, size: span / 4, cidr: `${numberToIp(base)}/${prefixLength}` };
}

export function subnetAt(pool: Pool, index: number): Subnet {
  if (!(Number.isInteger(index) && index >= 0 && index < pool.size)) throw new Error(`subnet ${index} is outside ${pool.cidr}`);
  const base = pool.base + index * 4;
  return { base, gateway: numberToIp(base + 1), address: numberToIp(base + 2), veth: vethName(base) };
}

export function vethName(subnetBase: number): string {
  return VETH_PREFIX + subnetBase.toString(16).padStart(8, '0');
}

/** The /30 a host-side veth name stands for, or undefined for any other interface name. */
export function subnetOfVeth(name: string): number | undefined {
  const m = VETH_NAME.exec(name);
  return m ? parseInt(m[1]!, 16) : undefined;
}

/**
 * The index of a free /30 in the pool, given the host's interface names (a subnet is taken exactly
 * when its veth exists, so the kernel's link table is the allocation record, shared by every process
 * and surviving platform restarts). The search starts at `start` and wraps around: callers pass a
 * random start so that an address just freed is not handed out again at once (a router holding a stale
 * route must not reach another app's dyno) and concurrent starters rarely race for the same subnet.
 * Undefined when the pool is full.
 */
export function pickSubnet(pool: Pool, interfaceNames: Iterable<string>, start = 0, skip: ReadonlySet<number> = new Set()): number | undefined {
  const taken = new Set<number>();
  for (const name of interfaceNames) {
    const base = subnetOfVeth(name);
    if (base !== undefined && base >= pool.base && base < pool.base + pool.size * 4) taken.add((base - pool.base) / 4);
  }
  for (let i = 0; i < pool.size; i++) {
    const index = (((start + i) % pool.size) + pool.size) % pool.size;
    if (!taken.has(index) && !skip.has(index)) return index;
  }
  return undefined;
}

export interface FirewallPlan {
  pool: Pool;
  /** Host TCP ports containers may connect to (add-on services); everything else on the host is refused. */
  allowHostPorts: readonly number[];
  chainPrefix: string;
  /** The host's DNS resolvers (IPv4), reachable on port 53 even at a private address. */
  resolvers?: readonly string[];
  /** CIDRs containers may always open TCP connections to (the add-on pool). */
  openTargets?: readonly string[];
  /** The operator's SLIPWAY_ALLOW_PRIVATE_TARGETS (egress/): all, or these IPv4 CIDRs. Default: none. */
  allowPrivate?: { all: boolean; ipv4: readonly string[] };
}

export interface Jump {
  table: 'filter' | 'nat';
  /** The built-in chain that jumps to ours, first thing. */
  from: 'INPUT' | 'FORWARD' | 'POSTROUTING';
  to: string;
}

export function chainNames(prefix: string): { input: string; forward: string; postrouting: string } {
  return { input: `${prefix}-INPUT`, forward: `${prefix}-FORWARD`, postrouting: `${prefix}-POSTROUTING` };
}

/** Chain prefixes become iptables chain names (28 chars at most, with the longest suffix 12). */
export function validateChainPrefix(prefix: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(prefix)) {
    throw new Error(`firewall chain prefix ${JSON.stringify(prefix)} must be 1-16 letters, digits or _, starting with a letter`);
  }
}

export function validatePorts(ports: readonly number[]): void {
  for (const p of ports) {
    if (!(Number.isInteger(p) && p >= 1 && p <= 65535)) throw new Error(`allowHostPorts: ${p} is not a TCP port`);
  }
}

export function jumps(prefix: string): Jump[] {
  const c = chainNames(prefix);
  return [
    { table: 'filter', from: 'INPUT', to: c.input },
    { table: 'filter', from: 'FORWARD', to: c.forward },
    { table: 'nat', from: 'POSTROUTING', to: c.postrouting },
  ];
}

/**
 * Our chains' complete contents in `iptables-restore --noflush` format: declaring a chain creates or
 * empties it, so applying this replaces exactly our rules in one atomic transaction and touches no
 * other chain. Rules, in order (see network.ts for why):
 *
 * INPUT (to the host itself, from a container)
 *   1. replies to connections the host opened (the router's to a dyno) pass;
 *   2. allowed host ports pass;
 *   3. everything else is refused at once (REJECT, so a dyno's connect fails fast instead of hanging).
 * FORWARD (through the host)
 *   1. a container to any container's veth (any pool): refused;
 *   2. replies to a container's own outbound connections pass;
 *   3. anything else towards a container (the LAN, other pools) is dropped silently;
 *   4. DNS to the host's resolvers, TCP to the open targets (add-on pool), the operator's allowed CIDRs pass;
 *   5. link-local and private ranges (egress PRIVATE_IPV4: the metadata address, the LAN) are refused;
 *   6. a container's other outbound traffic passes (needed where FORWARD's policy is DROP, as Docker sets it).
 * POSTROUTING (nat)
 *   1. a container's traffic leaving the pool is masqueraded behind the host's address.
 */
export function firewallRules(plan: FirewallPlan): string {
  validateChainPrefix(plan.chainPrefix);
  validatePorts(plan.allowHostPorts);
  const c = chainNames(plan.chainPrefix);
  const pool = plan.pool.cidr;
  const resolvers = [...new Set(plan.resolvers ?? [])].map((r) => canonicalCidr(r, 'resolver'));
  const dns = (chain: string) => resolvers.flatMap((r) => ['udp', 'tcp'].map((proto) =>
    `-A ${chain} -s ${pool} -d ${r} -p ${proto} -m ${proto} --dport 53 -j ACCEPT`));
  const allow = plan.allowPrivate ?? { all: false, ipv4: [] };
  const lines = [
    '*filter',
    `:${c.input} - [0:0]`,
    `:${c.forward} - [0:0]`,
    `-A ${c.input} -s ${pool} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ...[...new Set(plan.allowHostPorts)].sort((a, b) => a - b)
      .map((port) => `-A ${c.input} -s ${pool} -p tcp -m tcp --dport ${port} -j ACCEPT`),
    ...dns(c.input),
    `-A ${c.input} -s ${pool} -j REJECT --reject-with icmp-admin-prohibited`,
    `-A ${c.forward} -s ${pool} -o ${VETH_WILDCARD} -j REJECT --reject-with icmp-admin-prohibited`,
    `-A ${c.forward} -d ${pool} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A ${c.forward} -d ${pool} -j DROP`,
    ...dns(c.forward),
    ...[...new Set(plan.openTargets ?? [])].map((t) => `-A ${c.forward} -s ${pool} -d ${canonicalCidr(t, 'open target')} -p tcp -j ACCEPT`),
    ...(allow.all ? [] : [
      // Only what the REJECTs below would catch: other platforms on the machine sharing these chains
      // compute the same rules unless their settings differ where it matters.
      ...[...new Set(allow.ipv4.map((t) => canonicalCidr(t, 'allowed target')))]
        .filter((t) => PRIVATE_IPV4.some((r) => cidrsOverlap(t, r)))
        .map((t) => `-A ${c.forward} -s ${pool} -d ${t} -j ACCEPT`),
      ...PRIVATE_IPV4.map((t) => `-A ${c.forward} -s ${pool} -d ${t} -j REJECT --reject-with icmp-admin-prohibited`),
    ]),
    `-A ${c.forward} -s ${pool} -j ACCEPT`,
    'COMMIT',
    '*nat',
    `:${c.postrouting} - [0:0]`,
    `-A ${c.postrouting} -s ${pool} ! -d ${pool} -j MASQUERADE`,
    'COMMIT',
  ];
  return lines.join('\n') + '\n';
}

/** `a.b.c.d` or `a.b.c.d/n` as iptables-save prints it: host bits cleared, `/32` for an address. */
export function canonicalCidr(text: string, what: string): string {
  const [addr = '', len] = text.split('/');
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= 32)) throw new Error(`${what} ${JSON.stringify(text)} is not an IPv4 address or CIDR`);
  const n = ipToNumber(addr);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${numberToIp((n & mask) >>> 0)}/${prefix}`;
}

/** Whether two canonical IPv4 CIDRs share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [ab = '', al] = a.split('/');
  const [bb = '', bl] = b.split('/');
  const len = Math.min(Number(al), Number(bl));
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((ipToNumber(ab) & mask) >>> 0) === ((ipToNumber(bb) & mask) >>> 0);
}

/** The IPv4 nameservers of resolv.conf text a container can use (loopback ones serve only the host). */
export function resolversOf(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m && !m[1]!.startsWith('127.')) out.push(m[1]!);
  }
  return out;
}

/**
 * Whether `iptables-save` output already holds exactly the planned firewall: each of our chains with
 * exactly its rules in order, and each jump to them once. The rules are written in iptables' canonical
 * form, so a correct firewall compares equal line for line; anything else (a flush, an edited rule,
 * a missing or doubled jump) means apply again.
 */
export function firewallInPlace(save: string, plan: FirewallPlan): boolean {
  // Rules per table and chain: iptables-save orders chains its own way, rules within one keep theirs.
  const byChain = (text: string): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    let table = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith('-A ')) {
        const key = `${table} ${line.split(' ')[1]}`;
        out.set(key, [...(out.get(key) ?? []), line]);
      }
    }
    return out;
  };
  const actual = byChain(save);
  for (const [key, lines] of byChain(firewallRules(plan))) {
    if ((actual.get(key) ?? []).join('\n') !== lines.join('\n')) return false;
  }
  return jumps(plan.chainPrefix).every((j) => countJumps((actual.get(`${j.table} ${j.from}`) ?? []).join('\n'), j) === 1);
}

/**
 * How many times `iptables -S <from>` output jumps to `to` (unconditionally, as we add it). More than
 * one happens when two processes add the jump at once; network.ts then deletes the extras.
 */
export function countJumps(listing: string, jump: Jump): number {
  return listing.split('\n').filter((l) => l.trim() === `-A ${jump.from} -j ${jump.to}`).length;
}

/** The interface of the IPv4 default route in /proc/net/route's format, if any. */
export function defaultRouteInterface(procNetRoute: string): string | undefined {
  for (const line of procNetRoute.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; flag 1 = RTF_UP.
    if (f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && (parseInt(f[3]!, 16) & 1) === 1) return f[0];
  }
  return undefined;
}
