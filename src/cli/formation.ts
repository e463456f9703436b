// `ps:scale` arguments and formation summaries (pure).

import { UsageError } from './errors.ts';
import type { Formation } from './types.ts';

export interface FormationUpdate {
  type: string;
  /** `"2"` sets, `"+1"` / `"-1"` is relative: a string, as the heroku CLI sends it. */
  quantity: string;
  size?: string;
}

const SCALE = /^([\w-]+?)([=+-])(\d+)(?::([\w-]+))?$/;

/** `web=2`, `web+1`, `worker-1`, `worker=2:standard-2x` → formation updates; anything else is an error. */
export function parseScaleArgs(args: readonly string[]): FormationUpdate[] {
  return args.map((arg) => {
    const m = SCALE.exec(arg);
    if (!m) {
      throw new UsageError(
        `Invalid argument: ${arg}\nUse TYPE=N[:SIZE] or TYPE+N / TYPE-N, e.g. web=2, worker+1, web=1:Standard-2X`,
      );
    }
    const [, type, op, n, size] = m;
    const update: FormationUpdate = { type: type!, quantity: op === '=' ? n! : `${op}${n}` };
    if (size) update.size = size;
    return update;
  });
}

/** `web=1:Standard-1X worker=0:Standard-1X`, sorted, in the form `ps:scale` accepts back. */
export function formatFormation(formation: readonly Formation[]): string {
  return formation
    .map((f) => `${f.type}=${f.quantity}${f.size ? `:${f.size}` : ''}`)
    .sort()
    .join(' ');
}

/** `now running web at 2:Standard-1X, worker at 1:Standard-1X` for the types that were changed. */
export function scaleSummary(formation: readonly Formation[], updates: readonly FormationUpdate[]): string {
  const changed = formation.filter((f) => updates.some((u) => u.type === f.type));
  return `now running ${changed.map((f) => `${f.type} at ${f.quantity}${f.size ? `:${f.size}` : ''}`).join(', ')}`;
}
