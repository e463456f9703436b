// The last line of defence of `slipway server`: an exception no handler caught, or a promise rejected
// with nobody waiting on it, is logged and the platform goes on serving. Every listener answers its own
// faults (a 400, a cut connection); this is for the bug that slipped past them, because one request
// must never stop every app (nothing restarts the platform yet).
import type { Logger } from '../logger/index.ts';

export function keepServingOnFaults(logger: Pick<Logger, 'error'>): void {
  const log = (line: string) => logger.error(line);
  const describe = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.on('uncaughtException', (err, origin) => log(`platform: ${origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'} (kept serving): ${describe(err)}`));
  process.on('unhandledRejection', (reason) => log(`platform: unhandled rejection (kept serving): ${describe(reason)}`));
}
