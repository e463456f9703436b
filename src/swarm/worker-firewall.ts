// What a worker node must close to its tasks, which the platform cannot apply itself (it runs on the
// manager, and the stack image has no iptables): `slipway swarm:firewall` prints a shell script the
// operator runs as root on each worker (again whenever its dockerd restarts). On the worker:
//   - a new connection towards a task (a published port, or another task) is refused unless it comes
//     from the platform's machine (the router);
//   - a task reaches the platform's machine over TCP (whose own chain for nodes admits only the blob
//     endpoint, the add-on relay and the registry: node-firewall.ts), public addresses, and the private
//     ranges the operator allowed (SLIPWAY_ALLOW_PRIVATE_TARGETS), and no other private or link-local
//     address (the LAN, cloud metadata);
//   - a task reaches nothing of the worker itself (its sshd, a dockerd on TCP...).
// The rules live in two chains of the worker, jumped from Docker's own DOCKER-USER (FORWARD) and INPUT for
// the subnets its tasks leave through, read from the worker's engine when the script runs.
import { PRIVATE_IPV4 } from '../egress/index.ts';
import { shellQuote } from './shell.ts';

export const WORKER_IN = 'SLIPWAY-WORKER-IN';
export const WORKER_FWD = 'SLIPWAY-WORKER-FWD';

export interface WorkerFirewallPlan {
  /** The platform's machine's address as workers see it (its router connects from it; tasks reach it there). */
  manager: string;
  allowPrivate: { all: boolean; ipv4: readonly string[] };
}

export function workerFirewallScript(plan: WorkerFirewallPlan): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(plan.manager)) throw new Error(`the platform machine's address must be an IPv4 address, got ${JSON.stringify(plan.manager)}`);
  const reject = '-j REJECT --reject-with icmp-admin-prohibited';
  const privateLines = plan.allowPrivate.all ? [] : [
    ...plan.allowPrivate.ipv4.map((t) => `  ipt -A ${WORKER_FWD} -s "$s" -d ${shellQuote(t)} -j RETURN`),
    ...PRIVATE_IPV4.map((t) => `  ipt -A ${WORKER_FWD} -s "$s" -d ${t} ${reject}`),
  ];
  return [
    '#!/bin/sh',
    '# Slipway\'s firewall for a swarm worker (`slipway swarm:firewall`): run as root on each worker, and',
    '# again whenever its dockerd restarts. Only the platform\'s machine reaches its tasks; its tasks reach',
    '# that machine, the public internet and nothing else private, and nothing of the worker itself.',
    'set -eu',
    `MANAGER=${plan.manager}`,
    'ipt() { iptables -w "$@"; }',
    'subnets=$(docker network inspect docker_gwbridge bridge --format \'{{range .IPAM.Config}}{{.Subnet}} {{end}}\' 2>/dev/null | tr \' \' \'\\n\' | grep -E \'^[0-9.]+/[0-9]+$\' || true)',
    '[ -n "$subnets" ] || { echo "swarm:firewall: this engine has no docker_gwbridge or bridge network yet; join the swarm first" >&2; exit 1; }',
    `for c in ${WORKER_IN} ${WORKER_FWD}; do ipt -N "$c" 2>/dev/null || ipt -F "$c"; done`,
    `ipt -A ${WORKER_IN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    `ipt -A ${WORKER_IN} ${reject}`,
    `ipt -A ${WORKER_FWD} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    'for s in $subnets; do',
    `  ipt -A ${WORKER_FWD} -d "$s" ! -s "$MANAGER" ${reject}`,
    `  ipt -A ${WORKER_FWD} -s "$s" -d "$MANAGER" -p tcp -j RETURN`,
    ...privateLines,
    'done',
    `ipt -C DOCKER-USER -j ${WORKER_FWD} 2>/dev/null || ipt -I DOCKER-USER 1 -j ${WORKER_FWD}`,
    `for s in $subnets; do ipt -C INPUT -s "$s" -j ${WORKER_IN} 2>/dev/null || ipt -I INPUT 1 -s "$s" -j ${WORKER_IN}; done`,
    'echo "swarm:firewall: tasks on $(hostname) closed in (subnets: $(echo $subnets))"',
    '',
  ].join('\n');
}
