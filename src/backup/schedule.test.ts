import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../store/index.ts';
import { archiveName, BackupSchedule, expired, parseSchedule } from './schedule.ts';
import { createBackup } from './create.ts';

test('the schedule is an interval of a minute or more', () => {
  assert.equal(parseSchedule('24h'), 86_400_000);
  assert.equal(parseSchedule('30m'), 1_800_000);
  assert.equal(parseSchedule('1d'), 86_400_000);
  for (const bad of ['', 'daily', '30s', '0.5m', '5']) assert.throws(() => parseSchedule(bad), /SLIPWAY_BACKUP_SCHEDULE must be an interval/);
  assert.equal(archiveName(new Date('2026-12-07T13:05:09.123Z')), 'slipway-20261207T130509Z.backup');
  assert.deepEqual(expired(['slipway-20261203T000000Z.backup', 'notes.txt', 'slipway-20261201T000000Z.backup', 'slipway-20261202T000000Z.backup'], 2), ['slipway-20261201T000000Z.backup']);
});

test('scheduled backups keep the newest SLIPWAY_BACKUP_KEEP; a failed one removes nothing', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-schedule-'));
  try {
    const data = join(root, 'data');
    await mkdir(data);
    await openStore(join(data, 'slipway.db')).close();
    const dir = join(root, 'backups');
    await mkdir(dir);
    let t = Date.parse('2026-12-07T00:00:00Z');
    let fail = false;
    const lines: string[] = [];
    const s = new BackupSchedule({
      dir, everyMs: 3_600_000, keep: 2, now: () => new Date(t),
      log: { info: (l) => lines.push(l), error: (l) => lines.push(`ERROR ${l}`) },
      backup: async (to) => {
        if (fail) throw new Error('disk full');
        await createBackup({ dataDir: data, to, passphrase: 'p' });
      },
    });
    for (let i = 0; i < 3; i++) { await s.runOnce(); t += 3_600_000; }
    assert.deepEqual((await readdir(dir)).sort(), ['slipway-20261207T010000Z.backup', 'slipway-20261207T020000Z.backup']);
    fail = true;
    await s.runOnce();
    assert.deepEqual((await readdir(dir)).sort(), ['slipway-20261207T010000Z.backup', 'slipway-20261207T020000Z.backup']);
    assert.match(lines.at(-1)!, /^ERROR scheduled backup failed \(older archives kept.*disk full/);
    await s.stop();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
