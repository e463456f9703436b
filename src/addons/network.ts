// Where add-on servers listen: a network namespace of their own, joined to the host by one veth pair.
//
// Why not the host's ports. Dynos sit in their own namespaces behind the runtime's firewall, which
// refuses any connection from a dyno to the host itself except a fixed list of ports, and that list is
// one machine-wide iptables chain that every platform on the machine rewrites to its own plan: a
// growing, per-platform list of add-on ports would flip back and forth between platforms. Traffic from
// a dyno to another namespace is *forwarded* instead, which the runtime's rules already allow (towards
// anything that is not another dyno) and masquerade behind the host, so no rule changes.
//
// Why nothing outside the machine reaches them. The namespace has an address on its /30 and no route
// anywhere else: a connection can only be completed by a peer on that /30, i.e. the host (dynos arrive
// masqueraded as the host-side address). A packet from the LAN that reaches the servers gets no answer.
// The /30s come from `SLIPWAY_ADDONS_POOL` (default 10.214.0.0/16, outside the dynos' pool so the
// runtime masquerades towards it); the host-side veth is named `sa<8 hex of the subnet>`, so the link
// table is the allocation record, as with dynos. A platform keeps its /30 in `network.json` under its
// add-on dir because the address is written into config vars.
//
// Why the servers reach nothing. Their namespace's own firewall (inside it, so it goes with the
// namespace and no other platform's rules touch it) lets out only loopback traffic and replies to
// connections made to the servers; anything a server opens — to the host's ports (the API, git, other
// platforms' services), or anywhere else — is refused. The servers run unprivileged and cannot change it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand as run } from '../supervise/command.ts';

const TOOL_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
const SYS_NET = '/sys/class/net';

export const DEFAULT_ADDONS_POOL = '10.214.0.0/16';

export interface AddonNetworkOptions {
  /** The platform's add-on dir (network.json lives there). */
  dir: string;
  pool: string;
  /** Names the namespace and seeds the choice of /30; unique per platform (the data dir's hash). */
  id: string;
}

const ipToNumber = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
const numberToIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const vethOf = (base: number) => `sa${base.toString(16).padStart(8, '0')}`;

export function parsePool(cidr: string): { base: number; size: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  const len = m ? Number(m[2]) : NaN;
  if (!m || !(len >= 8 && len <= 30)) throw new Error(`SLIPWAY_ADDONS_POOL ${JSON.stringify(cidr)} must be an IPv4 CIDR from /8 to /30, e.g. ${DEFAULT_ADDONS_POOL}`);
  const base = ipToNumber(m[1]!);
  if (base % 2 ** (32 - len) !== 0) throw new Error(`SLIPWAY_ADDONS_POOL ${cidr}: ${m[1]} is not the start of a /${len}`);
  return { base, size: 2 ** (32 - len) / 4 };
}

export class AddonNetwork {
  readonly netns: string;
  /** Where the servers listen (the namespace's eth0) and what URLs name. */
  address = '';
  private veth = '';

  constructor(private readonly o: AddonNetworkOptions) {
    this.netns = `${o.id}addons`;
  }

  /** Creates (or re-creates after a crash) the namespace and its veth on this platform's /30. */
  async up(): Promise<void> {
    const file = join(this.o.dir, 'network.json');
    const saved = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { subnet: string }, () => undefined);
    const base = saved ? ipToNumber(saved.subnet) : await this.pickSubnet();
    this.veth = vethOf(base);
    this.address = numberToIp(base + 2);
    const links = await readdir(SYS_NET);
    if (links.includes(this.veth)) {
      const alias = (await readFile(join(SYS_NET, this.veth, 'ifalias'), 'utf8').catch(() => '')).trim();
      if (alias !== this.netns) {
        throw new Error(`the add-on network ${numberToIp(base)}/30 of this data dir is in use by another interface (${this.veth}, ${alias || 'no alias'}); free it or use another SLIPWAY_ADDONS_POOL`);
      }
    }
    await this.down();
    try {
      await ip(['netns', 'add', this.netns]);
      await ip(['link', 'add', 'name', this.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns]);
      await writeFile(`/proc/sys/net/ipv6/conf/${this.veth}/disable_ipv6`, '1');
      await ip(['link', 'set', 'dev', this.veth, 'alias', this.netns]);
      await ip(['address', 'add', `${numberToIp(base + 1)}/30`, 'dev', this.veth]);
      await ip(['link', 'set', 'dev', this.veth, 'up']);
      // No default route inside: only the host side of the /30 can complete a connection.
      await ip(['-n', this.netns, 'address', 'add', `${this.address}/30`, 'dev', 'eth0']);
      await ip(['-n', this.netns, 'link', 'set', 'dev', 'eth0', 'up']);
      await ip(['-n', this.netns, 'link', 'set', 'dev', 'lo', 'up']);
      await closeOutbound(this.netns);
    } catch (err) {
      await this.down().catch(() => undefined);
      throw new Error(`cannot set up the add-on network: ${(err as Error).message}`);
    }
    if (!saved) await writeFile(file, JSON.stringify({ subnet: numberToIp(base) }) + '\n');
  }

  /** Removes the namespace and veth; idempotent. */
  async down(): Promise<void> {
    if (this.veth && (await readdir(SYS_NET)).includes(this.veth)) await ip(['link', 'delete', 'dev', this.veth]).catch(() => undefined);
    const spaces = await readdir('/run/netns').catch(() => [] as string[]);
    if (spaces.includes(this.netns)) await ip(['netns', 'delete', this.netns]);
  }

  /**
   * Wraps a server command so it runs in the namespace, as `user`, with `hostDir` seen at /mnt: the
   * data dir is root's (0700) and its parents may be too, so the server reaches its files through a
   * bind mount in a private mount namespace (`ip netns exec` makes one) rather than through the path.
   */
  wrap(user: string, hostDir: string, argv: string[]): [string, string[]] {
    const script = 'u="$1"; shift; mount --bind "$0" /mnt && exec setpriv --reuid="$u" --regid="$u" --init-groups -- "$@"';
    return ['ip', ['netns', 'exec', this.netns, 'sh', '-c', script, hostDir, user, ...argv]];
  }

  private async pickSubnet(): Promise<number> {
    const pool = parsePool(this.o.pool);
    const taken = new Set((await readdir(SYS_NET)).filter((n) => /^sa[0-9a-f]{8}$/.test(n)));
    const start = createHash('sha256').update(this.o.id).digest().readUInt32BE(0) % pool.size;
    for (let i = 0; i < pool.size; i++) {
      const base = pool.base + ((start + i) % pool.size) * 4;
      if (!taken.has(vethOf(base))) return base;
    }
    throw new Error(`the add-on address pool ${this.o.pool} is full`);
  }
}

/** The namespace's filter table, replaced whole in one iptables-restore (see the header for why). */
export const OUTBOUND_RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT DROP [0:0]',
  '-A OUTPUT -o lo -j ACCEPT',
  '-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A OUTPUT -j REJECT --reject-with icmp-admin-prohibited',
  'COMMIT',
  '',
].join('\n');

function closeOutbound(netns: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', netns, 'iptables-restore', '-w'], { env: TOOL_ENV, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore in ${netns}: ${stderr.trim() || `exit ${code}`}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(OUTBOUND_RULES);
  });
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args, { env: TOOL_ENV });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}
