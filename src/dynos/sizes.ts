// Heroku's dyno sizes: memory quota (R14 above it), the hard limit where Heroku kills with R15 (twice
// the quota for these sizes), the process+thread cap, and a CPU weight. Pure data.

export interface DynoSize {
  /** API spelling, as Heroku's CLI and app.json write it. */
  name: string;
  /** Display name (`Standard-1X`), as `ps` and log lines show it. */
  display: string;
  quotaBytes: number;
  hardLimitBytes: number;
  pids: number;
  cpuShares: number;
}

const MB = 1024 * 1024;

export const DYNO_SIZES: DynoSize[] = [
  { name: 'eco', display: 'Eco', quotaBytes: 512 * MB, hardLimitBytes: 1024 * MB, pids: 256, cpuShares: 1024 },
  { name: 'basic', display: 'Basic', quotaBytes: 512 * MB, hardLimitBytes: 1024 * MB, pids: 256, cpuShares: 1024 },
  { name: 'standard-1x', display: 'Standard-1X', quotaBytes: 512 * MB, hardLimitBytes: 1024 * MB, pids: 256, cpuShares: 1024 },
  { name: 'standard-2x', display: 'Standard-2X', quotaBytes: 1024 * MB, hardLimitBytes: 2048 * MB, pids: 512, cpuShares: 2048 },
  { name: 'performance-m', display: 'Performance-M', quotaBytes: 2560 * MB, hardLimitBytes: 5120 * MB, pids: 16384, cpuShares: 12288 },
  { name: 'performance-l', display: 'Performance-L', quotaBytes: 14336 * MB, hardLimitBytes: 28672 * MB, pids: 32768, cpuShares: 51200 },
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
