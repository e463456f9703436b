import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('the settings: a schedule needs a backup dir outside the data dir and a passphrase', () => {
  const base = { SLIPWAY_DATA_DIR: '/srv/slipway', SLIPWAY_BACKUP_SCHEDULE: '6h', SLIPWAY_BACKUP_PASSPHRASE: 'p' };
  assert.equal(loadConfig({}).backupSchedule, undefined);
  assert.deepEqual(loadConfig({ ...base, SLIPWAY_BACKUP_DIR: '/backups', SLIPWAY_BACKUP_KEEP: '3' }).backupSchedule, { everyMs: 21_600_000, dir: '/backups', keep: 3, passphrase: 'p' });
  assert.throws(() => loadConfig(base), /needs SLIPWAY_BACKUP_DIR/);
  assert.throws(() => loadConfig({ ...base, SLIPWAY_BACKUP_DIR: '/srv/slipway/backups' }), /outside the data dir/);
  assert.throws(() => loadConfig({ ...base, SLIPWAY_BACKUP_DIR: '/b', SLIPWAY_BACKUP_PASSPHRASE: '' }), /needs SLIPWAY_BACKUP_PASSPHRASE/);
});
