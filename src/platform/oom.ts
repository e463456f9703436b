// The platform protects itself from the kernel's OOM killer: at start (as root) its own score is lowered,
// so under memory pressure a tenant's process goes first. Containers set their own score back to the
// kernel's default (runtime/bundle.ts `oomScoreAdj`).
import { writeFile } from 'node:fs/promises';

/** The platform's `oom_score_adj` (-1000 would make it unkillable; this only makes it a late choice). */
export const PLATFORM_OOM_SCORE_ADJ = -500;

/** Lowers this process's OOM score; returns what went wrong, or undefined when done (or not root: nothing to do). */
export async function protectFromOom(file = '/proc/self/oom_score_adj'): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    await writeFile(file, String(PLATFORM_OOM_SCORE_ADJ));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
