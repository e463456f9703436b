// Backups on a schedule (SLIPWAY_BACKUP_SCHEDULE: an interval such as `24h`, `6h` or `30m`), written into
// SLIPWAY_BACKUP_DIR as `slipway-<time>.backup`, keeping the newest SLIPWAY_BACKUP_KEEP (7) of them: the
// oldest go once a new one is whole. One backup at a time; a failed one is logged and retried at the
// next turn, and never removes an older archive.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^slipway-(\d{8}T\d{6}Z)\.backup$/;

/** `24h`, `90m`, `1d` → milliseconds; throws a sentence naming the setting. */
export function parseSchedule(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$/.exec(value);
  const ms = m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'] : Number.NaN;
  if (!(ms >= 60_000)) throw new Error(`SLIPWAY_BACKUP_SCHEDULE must be an interval of at least a minute such as 24h, 6h or 30m, got ${JSON.stringify(value)}`);
  return ms;
}

export function archiveName(at: Date): string {
  return `slipway-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.backup`;
}

/** The archives of `names` past the newest `keep` (what retention removes), oldest first. */
export function expired(names: string[], keep: number): string[] {
  const ours = names.filter((n) => NAME.test(n)).sort();
  return ours.slice(0, Math.max(0, ours.length - keep));
}

export interface BackupScheduleOptions {
  dir: string;
  everyMs: number;
  keep: number;
  /** Writes one archive to the path given. */
  backup: (to: string) => Promise<void>;
  log: { info(line: string): void; error(line: string): void };
  now?: () => Date;
}

export class BackupSchedule {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly o: BackupScheduleOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.o.everyMs);
    this.timer.unref();
  }

  /** One scheduled backup now (unless one runs), then retention. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      const file = join(this.o.dir, archiveName((this.o.now ?? (() => new Date()))()));
      try {
        await this.o.backup(file);
        this.o.log.info(`scheduled backup written: ${file}`);
        for (const old of expired(await readdir(this.o.dir), this.o.keep)) {
          await rm(join(this.o.dir, old), { force: true });
          this.o.log.info(`removed backup ${old} (SLIPWAY_BACKUP_KEEP=${this.o.keep})`);
        }
      } catch (err) {
        this.o.log.error(`scheduled backup failed (older archives kept; next try in ${Math.round(this.o.everyMs / 60_000)} min): ${(err as Error).message}`);
      }
    })().finally(() => { this.running = undefined; });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
