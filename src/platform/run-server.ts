// The `slipway server` command: reads the settings, starts the platform (server.ts) and stops it on a
// signal, also one that comes while it is still starting.
import { ConfigError, loadConfig, loadLogConfig, type PlatformConfig } from './config.ts';
import { confineEnvironment, receiveOperatorKey } from './environment.ts';
import { keepServingOnFaults } from './last-resort.ts';
import { createLogger } from '../logger/index.ts';
import { type Platform, startPlatform } from './server.ts';

/** The `slipway server` command. */
export async function runServer(_argv: string[]): Promise<void> {
  let config: PlatformConfig;
  // Until the log's own settings are read, a mistake in them is told in the default format.
  let log = createLogger({ format: process.env.SLIPWAY_LOG_FORMAT === 'json' ? 'json' : 'text' });
  try {
    log = createLogger(loadLogConfig());
    receiveOperatorKey();
    config = loadConfig();
    confineEnvironment();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
  keepServingOnFaults(log);
  // Signals are taken from the first moment: one that came while starting (the API may already answer)
  // stops the platform once it has started, never kills it half-started with its add-on servers,
  // namespaces and mounts left behind.
  let platform: Platform | undefined;
  let stopWhenStarted = false;
  let signals = 0;
  const stop = (p: Platform) => void p.stop().then(() => process.exit(0), (err) => {
    log.error({ err }, 'Stopping failed');
    process.exit(1);
  });
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`Second ${sig}: exiting now; containers left running are cleaned up at the next start.`);
      process.exit(1);
    }
    if (platform) stop(platform);
    else {
      log.info(`${sig} while starting: stopping once started (a second one exits at once)`);
      stopWhenStarted = true;
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const undo: (() => Promise<unknown>)[] = [];
  try {
    platform = await startPlatform(config, log, undo);
  } catch (err) {
    log.fatal(`Slipway could not start: ${(err as Error).message}`);
    for (const step of undo.reverse()) await step().catch((e: Error) => log.error(`taking down what had started: ${e.message}`));
    process.exit(1);
  }
  if (stopWhenStarted) stop(platform);
}
