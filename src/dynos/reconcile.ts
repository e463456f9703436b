// The reconcile decision, pure: desired (the formation × the current release) against actual (the app's
// formation dynos) → which dynos to stop, which to forget, which to start, and which hand over under
// preboot. The manager (manager.ts) gathers the input and carries the plan out; nothing here does I/O.

/** A formation dyno as the decision sees it. */
export interface DynoView {
  name: string;
  type: string;
  state: 'starting' | 'up' | 'crashed' | 'down' | 'idle' | 'complete';
  releaseId: string;
  command: string;
  size: string;
}

export interface ReconcileInput {
  /** The release dynos run (the newest that went live), with its slug's process types; none yet: nothing runs. */
  release?: { id: string; processTypes: Record<string, string> };
  formation: readonly { type: string; quantity: number; size: string }[];
  /** The app's formation dynos (not one-offs) as listed now. */
  dynos: readonly DynoView[];
  /** The app has the preboot feature and no preboot is under way. */
  preboot: boolean;
  /** Crashed dynos waiting out their restart back-off (not started before their time). */
  backingOff: ReadonlySet<string>;
}

export interface WantedDyno { name: string; type: string; command: string; size: string }

export interface ReconcilePlan {
  /** Every formation dyno the app should have (name → what it runs). */
  desired: WantedDyno[];
  /** Up web dynos of an older release that keep serving until their successors are up (preboot). */
  handOver: string[];
  /** Running dynos to stop; `restart` when a successor takes the name (logged as `Restarting`). */
  stop: { name: string; restart: boolean }[];
  /** Crashed dynos no longer wanted as they are: forget them and their back-off. */
  drop: string[];
  /** Dynos to launch, in formation order. */
  start: WantedDyno[];
}

export function planReconcile(input: ReconcileInput): ReconcilePlan {
  const { release } = input;
  const desired: WantedDyno[] = [];
  if (release) {
    for (const f of input.formation) {
      const command = release.processTypes[f.type];
      if (!command) continue;
      for (let i = 1; i <= f.quantity; i++) desired.push({ name: `${f.type}.${i}`, type: f.type, command, size: f.size });
    }
  }
  const wanted = new Map(desired.map((w) => [w.name, w]));
  const plan: ReconcilePlan = { desired, handOver: [], stop: [], drop: [], start: [] };
  const matches = (d: DynoView, w: WantedDyno | undefined) =>
    w !== undefined && d.releaseId === release?.id && d.command === w.command && d.size === w.size;
  // What keeps its name after this pass: dynos that already match (an asleep or crashed one included).
  const kept = new Set<string>();
  for (const d of input.dynos) {
    const want = wanted.get(d.name);
    if (input.preboot && want && d.type === 'web' && d.state === 'up' && d.releaseId !== release!.id) {
      plan.handOver.push(d.name);
      continue;
    }
    if (matches(d, want)) {
      kept.add(d.name);
      continue;
    }
    if (d.state === 'crashed') plan.drop.push(d.name);
    else plan.stop.push({ name: d.name, restart: want !== undefined && d.state !== 'down' });
  }
  const dropped = new Set(plan.drop);
  for (const w of desired) {
    if (kept.has(w.name)) continue;
    if (input.backingOff.has(w.name) && !dropped.has(w.name)) continue;
    plan.start.push(w);
  }
  return plan;
}
