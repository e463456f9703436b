// Add-on data in backups: not yet carried (see the report); the archive holds the platform's own state.
import type { AddonDumper, AddonRestorer } from '../backup/index.ts';
import type { PlatformConfig } from './config.ts';

export function addonDumper(_config: PlatformConfig): AddonDumper | undefined {
  return undefined;
}

export function addonRestorer(): AddonRestorer | undefined {
  return undefined;
}
