// What tasks on this machine may reach of it, as #9 closes the host to runc dynos: the blob endpoint
// (slug fetches) and the add-on servers, nothing else of the platform (API, git, rendezvous, router's
// sockets, other platforms' ports), no private or link-local address (the LAN, cloud metadata, each
// other), and from outside no task at all through its published port (only the router on this machine).
// Replies to connections a task made, or the router made to it, pass. Two chains shared
// by every platform on the machine (their tasks leave through the same Docker networks): each platform
// adds the accept line of its own blob port and takes it out when it stops; the last one out removes them.
import { PRIVATE_IPV4 } from '../egress/index.ts';
import { runCommand as run } from '../supervise/command.ts';

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

export const TASKS_IN = 'SLIPWAY-TASKS-IN';
export const TASKS_FWD = 'SLIPWAY-TASKS-FWD';

export interface TaskFirewallPlan {
  /** The subnets tasks' traffic to this machine comes from (Docker's gateway networks). */
  sources: readonly string[];
  /** CIDRs tasks may open TCP connections to (the add-on servers' pool). */
  openTargets: readonly string[];
  /** Private CIDRs the operator allowed (SLIPWAY_ALLOW_PRIVATE_TARGETS); `all` opens every one. */
  allowPrivate: { all: boolean; ipv4: readonly string[] };
}

/** The chains' shared rules, in order (a platform's blob port is inserted after the first INPUT rule). */
export function baseRules(plan: TaskFirewallPlan): { input: string[][]; forward: string[][] } {
  const reject = ['-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited'];
  const replies = ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'];
  return {
    input: [replies, reject],
    forward: [
      replies,
      ...plan.openTargets.map((t) => ['-d', t, '-p', 'tcp', '-j', 'ACCEPT']),
      ...(plan.allowPrivate.all ? [] : [
        ...plan.allowPrivate.ipv4.map((t) => ['-d', t, '-j', 'ACCEPT']),
        ...PRIVATE_IPV4.map((t) => ['-d', t, ...reject]),
      ]),
    ],
  };
}

export function blobRule(port: number, platform: string): string[] {
  return ['-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', `${platform}blob`, '-j', 'ACCEPT'];
}

async function iptables(args: string[]): Promise<boolean> {
  return run('iptables', ['-w', ...args], { env: ENV }).then(() => true, () => false);
}

/** Makes the chains (once per machine), their jumps for every source, and this platform's blob line. */
export async function closeHostToTasks(plan: TaskFirewallPlan, blobPort: number, platform: string): Promise<void> {
  const base = baseRules(plan);
  for (const [chain, rules, from] of [[TASKS_IN, base.input, 'INPUT'], [TASKS_FWD, base.forward, 'FORWARD']] as const) {
    if (await iptables(['-N', chain])) for (const r of rules) await mustIptables(['-A', chain, ...r]);
    // Through the machine, both ways: a task's own traffic, and new connections towards a task (which
    // the private-range rules refuse: from outside a published port reaches no task; the router, on this
    // machine, reaches them without passing FORWARD).
    for (const source of plan.sources) {
      for (const dir of from === 'INPUT' ? ['-s'] : ['-s', '-d']) {
        if (!(await iptables(['-C', from, dir, source, '-j', chain]))) await mustIptables(['-I', from, '1', dir, source, '-j', chain]);
      }
    }
  }
  if (!(await iptables(['-C', TASKS_IN, ...blobRule(blobPort, platform)]))) await mustIptables(['-I', TASKS_IN, '2', ...blobRule(blobPort, platform)]);
}

/** Takes this platform's blob line out; the last platform to go takes the chains and their jumps too. */
export async function forgetBlobPort(blobPort: number, platform: string): Promise<void> {
  while (await iptables(['-D', TASKS_IN, ...blobRule(blobPort, platform)])) { /* every copy */ }
  const rules = await run('iptables', ['-w', '-S', TASKS_IN], { env: ENV }).then((r) => r.stdout, () => '');
  if (!rules || /blob/.test(rules)) return;
  for (const [from, chain] of [['INPUT', TASKS_IN], ['FORWARD', TASKS_FWD]] as const) {
    const listed = await run('iptables', ['-w', '-S', from], { env: ENV }).then((r) => r.stdout, () => '');
    for (const line of listed.split('\n')) {
      if (line.startsWith(`-A ${from} `) && line.endsWith(`-j ${chain}`)) await iptables(['-D', ...line.slice(3).split(' ')]);
    }
    await iptables(['-F', chain]);
    await iptables(['-X', chain]);
  }
}

async function mustIptables(args: string[]): Promise<void> {
  try {
    await run('iptables', ['-w', ...args], { env: ENV });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`iptables ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}
