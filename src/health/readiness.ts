// Readiness: the platform's parts each answer "fine" or what is wrong with them, within a bound. A check
// that throws or takes longer than its bound counts as failed and says so; one slow part never holds the
// answer past that bound. What each check looks at is the composition root's (platform/), given here as
// functions, so this file knows none of the parts.

/** One part's check: resolves undefined when it is fine, else a sentence saying what is wrong. */
export type Check = () => Promise<string | undefined>;

export interface CheckResult {
  ok: boolean;
  /** What is wrong (only when not ok). */
  message?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

const CHECK_TIMEOUT_MS = 3000;

/** Runs every check at once; ready when all are fine. */
export async function runChecks(checks: Record<string, Check>, timeoutMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const entries = await Promise.all(Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs); });
    try {
      const message = await Promise.race([check().catch((err: Error) => `check failed: ${err.message}`), late]);
      return [name, message === undefined ? { ok: true } : { ok: false, message }];
    } finally {
      clearTimeout(timer);
    }
  }));
  return { ready: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
}
