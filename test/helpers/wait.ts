// Waiting in tests for what the platform does in the background: polled twice a second, bounded in time.

/** Resolves with `what`'s first truthy answer; throws naming `why` after `seconds`. */
export async function until<T>(what: () => Promise<T | undefined | false>, seconds: number, why: string): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${why}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
