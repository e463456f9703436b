// Where the platform may connect on a tenant's behalf, and where tenants' builds and dynos may: never
// to loopback, link-local (the cloud metadata address), private or other internal addresses, unless
// the operator allowed them with SLIPWAY_ALLOW_PRIVATE_TARGETS (`1`: all; or a comma list of CIDRs).
//
// One policy, two enforcers. The runtime's firewall (runtime/netplan.ts) rejects what dynos and builds
// send to PRIVATE_IPV4 (they have no IPv6 path out). The platform's own outbound connections for
// tenants (log drains, a build's source_blob.url, buildpack URLs) resolve the host, refuse it if any of
// its addresses is internal, and connect to the address that was checked — `guardedLookup` is the
// lookup their sockets use, so nothing resolves the name a second time (no DNS rebinding between check
// and connect). Literal IP hosts never reach a lookup function, so `refusal` checks them first.
// Imports nothing of ours; anyone may import it.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** The ranges the dyno and build firewall closes by default (link-local, RFC 1918, shared CGN space). */
export const PRIVATE_IPV4: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];
/** What the platform's own connections also refuse: this host, "this network", multicast and reserved. */
const INTERNAL_IPV4: readonly string[] = [...PRIVATE_IPV4, '127.0.0.0/8', '0.0.0.0/8', '192.0.0.0/24', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4'];
/** Loopback, unspecified, unique-local, link-local, site-local and multicast IPv6. */
const INTERNAL_IPV6: readonly string[] = ['::/128', '::1/128', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8'];

export const ALLOW_SETTING = 'SLIPWAY_ALLOW_PRIVATE_TARGETS';

export interface EgressPolicy {
  /** `1`: every internal address is allowed. */
  all: boolean;
  /** The operator's IPv4 CIDRs, canonical (`a.b.c.d/n` with the host bits cleared), for the firewall. */
  ipv4: string[];
  /** Every allowed CIDR (IPv4 and IPv6), for the platform's own connections. */
  allowed: BlockList;
}

export class EgressRefused extends Error {
  readonly code = 'EGRESS_REFUSED';
}

/** Parses the setting's value; throws a message naming the bad entry and the accepted forms. */
export function parseAllowedTargets(value: string | undefined): EgressPolicy {
  const policy: EgressPolicy = { all: false, ipv4: [], allowed: new BlockList() };
  const text = (value ?? '').trim();
  if (text === '' || text === '0') return policy;
  if (text === '1') return { ...policy, all: true };
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr = '', len, extra] = raw.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
    if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new Error(`${ALLOW_SETTING}: ${JSON.stringify(raw)} is not an IP address or CIDR; use 1 (allow all), or a comma list such as 10.1.0.0/16,192.168.5.7`);
    }
    if (family === 4) {
      const n = ipv4Number(addr);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const base = numberIpv4((n & mask) >>> 0);
      policy.ipv4.push(`${base}/${prefix}`);
      policy.allowed.addSubnet(base, prefix, 'ipv4');
    } else {
      policy.allowed.addSubnet(addr, prefix, 'ipv6');
    }
  }
  return policy;
}

/** The policy the operator set in the environment. */
export function egressFromEnv(env: NodeJS.ProcessEnv = process.env): EgressPolicy {
  return parseAllowedTargets(env[ALLOW_SETTING]);
}

const internal = (() => {
  const list = new BlockList();
  for (const c of INTERNAL_IPV4) list.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv4');
  for (const c of INTERNAL_IPV6) list.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv6');
  return list;
})();

/** `::ffff:10.0.0.1` is 10.0.0.1: an IPv4-mapped address is judged as the IPv4 address it carries. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** Why connecting to `address` (a literal IP) is refused under `policy`, or undefined when it may be. */
export function refusal(address: string, policy: EgressPolicy): string | undefined {
  if (policy.all) return undefined;
  const ip = unmapped(address);
  const type = isIPv4(ip) ? 'ipv4' : 'ipv6';
  if (policy.allowed.check(ip, type)) return undefined;
  const what = internal.check(ip, type) ? 'a loopback, link-local or private address'
    : Object.values(networkInterfaces()).flat().some((i) => i && unmapped(i.address) === ip) ? 'an address of this machine' : undefined;
  return what && `${ip} is ${what}; the operator can allow it with ${ALLOW_SETTING}`;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls/http connections: resolves as dns.lookup does and refuses the host when any
 * of its addresses is refused (a name with one public and one internal record is not to be trusted).
 */
export function guardedLookup(policy: EgressPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const why = refusal(a.address, policy);
        if (why) return callback(new EgressRefused(`refusing to connect to ${hostname}: ${why}`), []);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** Resolves `host` (or takes it as a literal IP) and returns the address to connect to, once checked. */
export async function checkedAddress(host: string, policy: EgressPolicy): Promise<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) {
    const why = refusal(bare, policy);
    if (why) throw new EgressRefused(`refusing to connect to ${bare}: ${why}`);
    return bare;
  }
  return new Promise((resolve, reject) => {
    guardedLookup(policy)(bare, {}, (err, address) => (err ? reject(err) : resolve(address as string)));
  });
}

/**
 * GET over http(s) through the guard, following up to `maxRedirects` redirects (each hop checked the
 * same way). Resolves with the final response; its body is the caller's to consume.
 */
export async function guardedGet(url: string, policy: EgressPolicy, o: { signal?: AbortSignal; maxRedirects?: number } = {}): Promise<IncomingMessage> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new EgressRefused(`refusing to fetch ${target.protocol} URLs: only http and https`);
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) {
      const why = refusal(host, policy);
      if (why) throw new EgressRefused(`refusing to connect to ${host}: ${why}`);
    }
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(target, { method: 'GET', lookup: guardedLookup(policy) as never, agent: false, signal: o.signal }, resolve);
      req.on('error', reject);
      req.end();
    });
    const location = res.headers.location;
    if (!location || !res.statusCode || res.statusCode < 300 || res.statusCode >= 400) return res;
    res.resume();
    if (hop >= (o.maxRedirects ?? 5)) throw new Error(`too many redirects fetching ${url}`);
    target = new URL(location, target);
  }
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function numberIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
