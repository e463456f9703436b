// The stack maker's lock: one file per stack dir, so two processes never make a stack at once.
import { randomUUID } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';

/** How long to wait for another process's build before giving up (a full build takes minutes). */
const LOCK_WAIT_MS = 60 * 60 * 1000;

/**
 * An exclusive lock file holding the owner's pid. It is created complete via link() (atomic, fails
 * if it exists), so a reader never sees an empty one; a lock whose owner is dead is taken over.
 * Two waiters that find the same dead owner at the same instant could both take it over; that needs
 * a crash plus two simultaneous first starts, and costs one duplicate debootstrap into distinct
 * temp dirs (the renames then race, and the loser fails loudly), so it is not guarded further.
 */
export async function acquireLock(lock: string, progress: (line: string) => void): Promise<() => Promise<void>> {
  // Unique per call, so two callers in one process each keep their own.
  const mine = `${lock}.${process.pid}.${randomUUID()}`;
  await writeFile(mine, `${process.pid}\n`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  try {
    for (;;) {
      try {
        await link(mine, lock);
        return () => unlink(lock).catch(() => undefined);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
      if (!owner || !isAlive(owner)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`stack lock ${lock} still held by pid ${owner}`);
      if (!told) progress(`Waiting for pid ${owner}, which is making the stack`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
