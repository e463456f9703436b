// What launching many dynos at once needs: a bounded number of container starts side by side (a scale
// to 80 starts them 8 at a time instead of one after another), and a free port per web dyno.
import { createServer } from 'node:net';

/**
 * Container starts running side by side in one reconcile pass. Each start is mostly waiting on the
 * kernel and small tools (ip, mkfs, losetup, mount, runc), so a few run well together even on two cores;
 * more only queue on the same locks (measured: docs/decisions.md, "Dynos that start fast").
 */
export const START_CONCURRENCY = 8;

/**
 * Runs `fn` over `items`, at most `limit` at a time, started in order. Settles once every call has
 * settled; then rejects with the first failure, if any (a failed start does not stop the others).
 */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!).catch((err: unknown) => { failures.push(err); });
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** Asks the kernel for a free loopback port for a web dyno's $PORT. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
