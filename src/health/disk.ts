// The data dir's disk: how full it is, and the high-water mark past which the platform takes in no more
// (SLIPWAY_DISK_HIGH_WATER, a percentage of the disk used; 90 by default).
import { statfs } from 'node:fs/promises';

export interface DiskUse {
  totalBytes: number;
  freeBytes: number;
  /** Used share of the disk, 0..1, as `df` counts it (blocks reserved for root count as used). */
  used: number;
}

export async function diskUse(dir: string): Promise<DiskUse> {
  const fs = await statfs(dir);
  const totalBytes = fs.blocks * fs.bsize;
  const freeBytes = fs.bavail * fs.bsize;
  const usedBytes = (fs.blocks - fs.bfree) * fs.bsize;
  // df's Use%: used / (used + available to unprivileged users).
  const used = usedBytes + freeBytes === 0 ? 0 : usedBytes / (usedBytes + freeBytes);
  return { totalBytes, freeBytes, used };
}

/** SLIPWAY_DISK_HIGH_WATER as a fraction; throws a sentence naming the setting when it is not 1..100. */
export function parseHighWater(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0.9;
  const n = Number(value.trim().replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 1 || n > 100) throw new Error(`SLIPWAY_DISK_HIGH_WATER must be a percentage between 1 and 100 (of the data disk used), got ${JSON.stringify(value)}`);
  return n / 100;
}

/** What is wrong with the disk at `use` against `highWater`, or undefined when it is below. */
export function overHighWater(use: DiskUse, highWater: number): string | undefined {
  if (use.used < highWater) return undefined;
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return `the data disk is ${pct(use.used)} used (${formatBytes(use.freeBytes)} free), past the high-water mark of ${pct(highWater)} (SLIPWAY_DISK_HIGH_WATER): builds and slug uploads are refused until space is freed`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
