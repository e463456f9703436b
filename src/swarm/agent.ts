// The engine agent: one task on every node (a global service, `<platform>agent`) that reads the engine
// stats of this platform's task containers on its node, the engine's own numbers, and prints one line
// per container and sample; the platform reads those lines through the service log API (which reaches
// every node), so memory samples (R14) and `log-runtime-metrics` cover tasks on any node, where this
// engine's own stats API reaches only its node's containers. It also stops, once, the containers named
// in its environment (`ps:restart web.2`: the engine replaces that task alone, in its slot); a list
// changed makes the engine replace the agent's tasks, which stop what is theirs and ignore the rest.
// And it tells of the task containers on its node that the kernel's OOM killer ended (R15 for tasks on
// any node; this engine's own events see only its node): each container that exited since the agent
// started, once, with the app id, process type and task name the engine labelled it with.
//
// The agent is the platform's code in the stack image (bash, curl, jq), with the node's engine socket
// bound in (`SLIPWAY_SWARM_ENGINE_SOCKET`, default /var/run/docker.sock; `{{.Node.ID}}` is filled in per
// node): it is root on its node, as the engine is. No tenant writes to its output, and it listens on nothing.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { Logger } from '../logger/index.ts';
import { TaskSamples, type SampledTask } from './samples.ts';
import { LABELS } from './service-spec.ts';
import { shellQuote } from './shell.ts';
import { TaskLogs } from './task-logs.ts';

export const AGENT_LABEL = 'slipway.agent';
const SOCKET_IN_TASK = '/run/slipway-engine.sock';

export interface AgentInput {
  platform: string;
  image: string;
  /** The engine socket's path on each node (may hold `{{.Node.ID}}`). */
  socket: string;
  intervalSeconds: number;
  /** Container ids to stop (each node stops those it runs). */
  stop: readonly string[];
}

/** The agent's script: the stops, then a sample of every task container of this platform each interval, and the OOM-killed ones. */
export function agentScript(platform: string, intervalSeconds: number): string {
  const filter = encodeURIComponent(JSON.stringify({ label: [`${LABELS.platform}=${platform}`, LABELS.appId] }));
  const exited = encodeURIComponent(JSON.stringify({ label: [`${LABELS.platform}=${platform}`, LABELS.appId], status: ['exited'] }));
  const oom = `select(.State.OOMKilled == true and .State.FinishedAt > $since) | {oom: .Id, app: .Config.Labels[${JSON.stringify(LABELS.appId)}], type: .Config.Labels[${JSON.stringify(LABELS.type)}], task: .Config.Labels["com.docker.swarm.task.name"]}`;
  return [
    'set -u',
    `api() { curl -sS --max-time 40 --unix-socket ${SOCKET_IN_TASK} "http://engine$@"; }`,
    // Containers that exited before the agent started were told of by the agent before it (or never ran under it).
    'since=$(date -u +%Y-%m-%dT%H:%M:%S); declare -A told=()',
    // An unknown id (a container of another node, or one already replaced) answers 404: nothing to do.
    'for c in $SLIPWAY_STOP; do api "/containers/$c/stop?t=30" -X POST -o /dev/null & done',
    'while :; do',
    `  for c in $(api ${shellQuote(`/containers/json?filters=${filter}`)} | jq -r '.[].Id' 2>/dev/null); do`,
    `    api "/containers/$c/stats?stream=false&one-shot=true" | jq -c '{sample: .id, memory: .memory_stats.stats, cpu: .cpu_stats.cpu_usage.total_usage, system: .cpu_stats.system_cpu_usage, cpus: .cpu_stats.online_cpus}' 2>/dev/null`,
    '  done',
    `  for c in $(api ${shellQuote(`/containers/json?all=1&filters=${exited}`)} | jq -r '.[].Id' 2>/dev/null); do`,
    '    [[ -n ${told[$c]:-} ]] && continue',
    `    api "/containers/$c/json" | jq -c --arg since "$since" ${shellQuote(oom)} 2>/dev/null && told[$c]=1`,
    '  done',
    // Bounded: past 2,000 ids the list starts again from now.
    '  (( ${#told[@]} > 2000 )) && { told=(); since=$(date -u +%Y-%m-%dT%H:%M:%S); }',
    `  sleep ${intervalSeconds}`,
    'done',
  ].join('\n');
}

/** An OOM kill the agent saw: the container, its app and its dyno (`web.2`, from the engine's task name). */
export interface AgentOom { container: string; appId: string; dyno: string }

export function parseOomLine(line: string): AgentOom | undefined {
  let v: { oom?: unknown; app?: unknown; type?: unknown; task?: unknown };
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v?.oom !== 'string' || !/^[0-9a-f]{12,64}$/.test(v.oom) || typeof v.app !== 'string' || typeof v.type !== 'string' || typeof v.task !== 'string') return undefined;
  // The engine names a task `<service>.<slot>.<task id>`.
  const slot = /\.(\d{1,6})\.[0-9a-z]{10,64}$/.exec(v.task)?.[1];
  if (!slot || !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(v.type) || !/^[0-9a-f-]{36}$/.test(v.app)) return undefined;
  return { container: v.oom, appId: v.app, dyno: `${v.type}.${slot}` };
}

/** The agent's ServiceSpec (global: one task a node). */
export function agentSpec(a: AgentInput): Record<string, unknown> {
  const labels: Record<string, string> = { [LABELS.platform]: a.platform, [AGENT_LABEL]: 'engine' };
  const spec = {
    Name: `${a.platform}agent`,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: a.image,
        Labels: { [AGENT_LABEL]: a.platform },
        Command: ['/bin/bash', '-c', agentScript(a.platform, a.intervalSeconds)],
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin', `SLIPWAY_STOP=${a.stop.join(' ')}`],
        User: '0',
        CapabilityDrop: ['ALL'],
        Mounts: [{ Type: 'bind', Source: a.socket, Target: SOCKET_IN_TASK }],
      },
      Resources: { Limits: { MemoryBytes: 64 * 1024 * 1024, Pids: 64 } },
      RestartPolicy: { Condition: 'any', Delay: 2_000_000_000, MaxAttempts: 0 },
      LogDriver: { Name: 'json-file', Options: { 'max-size': '1m', 'max-file': '2' } },
    },
    Mode: { Global: {} },
  };
  labels[LABELS.spec] = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return spec;
}

/** One agent line: a container's memory stats (cgroup v1 or v2 names) and CPU counters; undefined if not one. */
export interface AgentSample {
  container: string;
  memory: Record<string, number>;
  cpu?: number;
  system?: number;
  cpus?: number;
}

export function parseAgentLine(line: string): AgentSample | undefined {
  let v: { sample?: unknown; memory?: unknown; cpu?: unknown; system?: unknown; cpus?: unknown };
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v?.sample !== 'string' || !/^[0-9a-f]{12,64}$/.test(v.sample) || typeof v.memory !== 'object' || v.memory === null) return undefined;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : undefined);
  const memory: Record<string, number> = {};
  for (const [k, x] of Object.entries(v.memory as Record<string, unknown>)) if (num(x) !== undefined) memory[k] = x as number;
  return { container: v.sample, memory, cpu: num(v.cpu), system: num(v.system), cpus: num(v.cpus) };
}

/** Makes the agent service run `a` (created, or updated when its spec differs); its service id. */
export async function ensureAgent(docker: Docker, a: AgentInput): Promise<string> {
  const spec = agentSpec(a);
  const found = (await docker.listServices({ filters: { label: [`${LABELS.platform}=${a.platform}`, AGENT_LABEL] } }) as { ID: string; Version: { Index: number }; Spec: { Labels?: Record<string, string> } }[])[0];
  if (!found) return ((await docker.createService(spec as never)) as { id?: string; ID?: string }).id ?? '';
  if (found.Spec.Labels?.[LABELS.spec] !== (spec.Labels as Record<string, string>)[LABELS.spec]) {
    await docker.getService(found.ID).update({ _query: { version: found.Version.Index }, _body: spec } as never);
  }
  return found.ID;
}

/**
 * The platform's side of the agents: keeps the service as wanted (one update at a time: the engine
 * refuses an update of a version already updated), follows its lines and hands each sample of a known
 * task on. `stop` keeps the containers still to stop while they run, so a restart does not undo another.
 */
export class EngineAgent {
  private readonly logs: TaskLogs;
  private readonly samples: TaskSamples;
  private updating: Promise<void> = Promise.resolve();
  private stopping: string[] = [];

  constructor(
    private readonly docker: Docker,
    logger: Logger,
    /** `image`: the stack image's name now (it moves to the platform's registry when a second node joins). */
    private readonly input: Omit<AgentInput, 'stop' | 'image'> & { image: () => string },
    private readonly taskOf: (container: string) => SampledTask | undefined,
    log: (appId: string, dyno: string, line: string) => void,
    oom: (o: AgentOom) => void,
  ) {
    this.samples = new TaskSamples(input.intervalSeconds * 1000, log);
    this.logs = new TaskLogs(docker, logger, (_agent, _task, line) => {
      const s = parseAgentLine(line);
      const t = s && this.taskOf(s.container);
      if (s && t) this.samples.take(t, s);
      const killed = !s ? parseOomLine(line) : undefined;
      if (killed) oom(killed);
    });
  }

  /** Makes the agents run (at start), or stop `container` on its node too. */
  update(container?: string): Promise<void> {
    if (container) this.stopping = [...this.stopping.filter((c) => c !== container && this.taskOf(c)), container];
    const stop = this.stopping;
    const next = this.updating.catch(() => undefined).then(async () => {
      this.logs.follow('', await ensureAgent(this.docker, { ...this.input, image: this.input.image(), stop }));
    });
    this.updating = next;
    return next;
  }

  close(): void {
    this.logs.close();
  }
}
