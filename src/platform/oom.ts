// The platform protects itself from the kernel's OOM killer: at start (as root) its own score is lowered,
// so under memory pressure a tenant's process goes first. Containers set their own score back to the
// kernel's default (runtime/bundle.ts `oomScoreAdj`). Lowering a score below the one a process started
// with needs CAP_SYS_RESOURCE, which some containers withhold even from root (the kernel answers EACCES):
// there the platform keeps its score and puts its containers (dynos and builds) that far above it
// instead, so the order the OOM killer chooses in is the same, and says so at start.
import { readFile, writeFile } from 'node:fs/promises';

/** The platform's `oom_score_adj` (-1000 would make it unkillable; this only makes it a late choice). */
export const PLATFORM_OOM_SCORE_ADJ = -500;

/** CAP_SYS_RESOURCE's bit in /proc/<pid>/status's capability masks. */
const CAP_SYS_RESOURCE = 24n;

export interface OomProtection {
  /** The score containers (dynos, builds) run at: 0, the kernel's default, or above the platform's when it could not lower its own. */
  containerScore: number;
  /** Why the platform's score could not be lowered, and what it did instead; undefined when it was lowered (or not root). */
  problem?: string;
}

/** Whether the effective capabilities in a /proc/<pid>/status text include CAP_SYS_RESOURCE. */
export function hasCapSysResource(status: string): boolean | undefined {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  return m ? ((BigInt(`0x${m[1]}`) >> CAP_SYS_RESOURCE) & 1n) === 1n : undefined;
}

/** The score containers get when the platform's own stays at `platformScore`: as far above it as it would have gone below 0. */
export function containerScoreAbove(platformScore: number): number {
  return Math.min(1000, Math.max(0, platformScore) - PLATFORM_OOM_SCORE_ADJ);
}

/** Lowers this process's OOM score; says what containers should run at, and what went wrong. */
export async function protectFromOom(dir = '/proc/self'): Promise<OomProtection> {
  if (process.getuid?.() !== 0) return { containerScore: 0 };
  try {
    await writeFile(`${dir}/oom_score_adj`, String(PLATFORM_OOM_SCORE_ADJ));
    return { containerScore: 0 };
  } catch (err) {
    const current = Number((await readFile(`${dir}/oom_score_adj`, 'utf8').catch(() => '0')).trim()) || 0;
    const containerScore = containerScoreAbove(current);
    const cap = hasCapSysResource(await readFile(`${dir}/status`, 'utf8').catch(() => ''));
    const why = cap === false
      ? 'this process lacks CAP_SYS_RESOURCE, which the kernel requires to lower a score (a container that withholds it from root; run the platform where root has it, e.g. the systemd unit of service:install)'
      : (err as Error).message;
    return {
      containerScore,
      problem: `could not lower the platform's OOM score to ${PLATFORM_OOM_SCORE_ADJ}: ${why}. Dynos and builds run at ${containerScore} instead (the platform's is ${current}), so the kernel's OOM killer still chooses them first.`,
    };
  }
}
