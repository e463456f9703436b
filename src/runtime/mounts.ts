// Host mount-table helpers: find what is mounted under a directory and unmount it, deepest first.
// Used before removing any directory the runtime (or an interrupted debootstrap) may have mounted
// into, so an `rm -rf` never descends into a live /proc, /sys or overlay.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand as run } from '../supervise/command.ts';

/** Decodes the octal escapes (`\040` for a space ...) the kernel uses in /proc/self/mountinfo. */
export function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Mount points at or below `dir` in this process's mount namespace, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const root = path.resolve(dir);
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const points = info
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((p) => p === root || p.startsWith(root + '/'));
  // Deepest first so a parent is never unmounted while a child still pins it.
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or below `dir`. A busy mount is detached lazily (`umount -l`) rather than
 * left behind: the caller is about to delete the directory and must never write through a mount.
 */
export async function unmountUnder(dir: string): Promise<void> {
  // Several rounds because a point can carry stacked mounts; bounded so a mount that keeps
  // reappearing turns into an error instead of a hang.
  for (let round = 0; round < 8; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) {
      try {
        await run('umount', [point]);
      } catch {
        await run('umount', ['-l', point]).catch(() => undefined);
      }
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new Error(`could not unmount ${left.join(', ')}`);
}
