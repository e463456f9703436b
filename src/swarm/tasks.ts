// The engine's tasks as dynos, pure: the task that stands for each slot of a process type, its state in
// Heroku's words, and the `heroku[web.N]` lines a change of it is logged with.

/** The fields of an Engine API task this component reads. */
export interface EngineTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt: string;
  UpdatedAt: string;
  DesiredState: string;
  Status: {
    State: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: { TargetPort?: number; PublishedPort?: number }[] };
  };
}

export type TaskDynoState = 'starting' | 'running' | 'crashed' | 'down';

/** Heroku's word for a task state (`running` becomes `up` once a web dyno has bound its port). */
export function taskState(t: Pick<EngineTask, 'DesiredState' | 'Status'>): TaskDynoState {
  const s = t.Status.State;
  if (s === 'running') return 'running';
  if (['failed', 'rejected', 'orphaned'].includes(s)) return 'crashed';
  // A process that ended by itself while it should run is a crash, as on Heroku (even with status 0).
  if (s === 'complete') return t.DesiredState === 'running' ? 'crashed' : 'down';
  if (s === 'shutdown' || s === 'remove') return 'down';
  return 'starting';
}

/**
 * The task that stands for each slot: the newest that should run, else the newest of all (a crashed one
 * being replaced shows as crashed until its successor exists).
 */
export function currentTasks<T extends EngineTask>(tasks: readonly T[]): Map<number, T> {
  const bySlot = new Map<number, T>();
  const rank = (t: T) => (t.DesiredState === 'running' ? 1 : 0);
  for (const t of tasks) {
    if (t.Slot === undefined) continue;
    const seen = bySlot.get(t.Slot);
    if (!seen || rank(t) > rank(seen) || (rank(t) === rank(seen) && t.CreatedAt > seen.CreatedAt)) bySlot.set(t.Slot, t);
  }
  return bySlot;
}

/** The port a task's $PORT is published on at its node, if any. */
export function publishedPort(t: EngineTask, target: number): number | undefined {
  return t.Status.PortStatus?.Ports?.find((p) => p.TargetPort === target)?.PublishedPort || undefined;
}

/** What is known of a task between two looks: its last state and exit code. */
export interface SeenTask { state: TaskDynoState | 'up'; exitCode?: number }

/**
 * The lines a task's change is logged with, as the runc dyno logs them: a new task starts its process,
 * an end says how the process exited and what the dyno became.
 */
export function transitionLines(before: SeenTask | undefined, now: SeenTask, command: string): string[] {
  const lines: string[] = [];
  if (!before) lines.push(`Starting process with command \`${command}\``);
  const from = before?.state ?? 'starting';
  const shown = (s: SeenTask['state']) => (s === 'running' ? 'starting' : s);
  if (shown(from) === shown(now.state)) return lines;
  if ((now.state === 'crashed' || now.state === 'down') && now.exitCode !== undefined) lines.push(`Process exited with status ${now.exitCode}`);
  lines.push(`State changed from ${shown(from)} to ${shown(now.state)}`);
  return lines;
}
