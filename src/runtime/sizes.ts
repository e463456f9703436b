// Heroku's dyno sizes: memory quota (R14 above it), the hard limit where Heroku kills with R15 (twice
// the quota for these sizes), the process+thread cap, a CPU weight growing as the names promise (1x,
// 2x, and the performance sizes' 12x and 50x compute), and disk for /app and /tmp growing with them
// (Heroku publishes no per-size disk figure; these are Slipway's choice, see docs/decisions.md, "Dyno
// sizes and R14"). Pure data.

export interface DynoSize {
  /** API spelling, as Heroku's CLI and app.json write it. */
  name: string;
  /** Display name (`Standard-1X`), as `ps` and log lines show it. */
  display: string;
  quotaBytes: number;
  hardLimitBytes: number;
  pids: number;
  cpuShares: number;
  /** Cap of the dyno's private writable /app layer (what it may write beside the slug). */
  diskBytes: number;
  /** Size of its /tmp (a tmpfs: what is written there also counts as the dyno's memory, as on Heroku's RAM-backed dynos). */
  tmpBytes: number;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

export const DYNO_SIZES: DynoSize[] = [
  { name: 'eco', display: 'Eco', quotaBytes: 512 * MB, hardLimitBytes: 1024 * MB, pids: 256, cpuShares: 1024, diskBytes: 2 * GB, tmpBytes: 512 * MB },
  { name: 'basic', display: 'Basic', quotaBytes: 512 * MB, hardLimitBytes: 1024 * MB, pids: 256, cpuShares: 1024, diskBytes: 2 * GB, tmpBytes: 512 * MB },
  { name: 'standard-1x', display: 'Standard-1X', quotaBytes: 512 * MB, hardLimitBytes: 1024 * MB, pids: 256, cpuShares: 1024, diskBytes: 2 * GB, tmpBytes: 512 * MB },
  { name: 'standard-2x', display: 'Standard-2X', quotaBytes: 1024 * MB, hardLimitBytes: 2048 * MB, pids: 512, cpuShares: 2048, diskBytes: 4 * GB, tmpBytes: 1024 * MB },
  { name: 'performance-m', display: 'Performance-M', quotaBytes: 2560 * MB, hardLimitBytes: 5120 * MB, pids: 16384, cpuShares: 12288, diskBytes: 8 * GB, tmpBytes: 2560 * MB },
  { name: 'performance-l', display: 'Performance-L', quotaBytes: 14336 * MB, hardLimitBytes: 28672 * MB, pids: 32768, cpuShares: 51200, diskBytes: 32 * GB, tmpBytes: 14336 * MB },
];

export const DEFAULT_SIZE = 'standard-1x';

/** Finds a size by any spelling (`Standard-1X`, `standard-1x`, `standard_1x`); undefined when unknown. */
export function findSize(name: string): DynoSize | undefined {
  const key = name.toLowerCase().replace(/_/g, '-');
  return DYNO_SIZES.find((s) => s.name === key);
}

export function sizeOrDefault(name: string | undefined | null): DynoSize {
  return (name && findSize(name)) || findSize(DEFAULT_SIZE)!;
}
