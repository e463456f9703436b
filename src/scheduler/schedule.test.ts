import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clock, everyToCron, nextCron, parseCron, runLimit, ScheduleError } from './schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

test("Heroku Scheduler's frequencies as cron, and when each runs next", () => {
  assert.equal(everyToCron('10m'), '*/10 * * * *');
  assert.equal(everyToCron('1h', ':30'), '30 * * * *');
  assert.equal(everyToCron('1h'), '0 * * * *');
  assert.equal(everyToCron('1d', '03:15'), '15 3 * * *');
  const from = at('2026-12-07T13:04:30Z');
  assert.equal(iso(nextCron(parseCron('*/10 * * * *'), from)), '2026-12-07T13:10:00.000Z');
  assert.equal(iso(nextCron(parseCron('30 * * * *'), from)), '2026-12-07T13:30:00.000Z');
  assert.equal(iso(nextCron(parseCron('15 3 * * *'), from)), '2026-12-08T03:15:00.000Z');
  assert.equal(iso(nextCron(parseCron('0 9 * * 1-5'), at('2026-12-11T10:00:00Z'))), '2026-12-14T09:00:00.000Z', 'Friday → Monday');
  assert.equal(iso(nextCron(parseCron('0 0 1 1 *'), from)), '2027-01-01T00:00:00.000Z');
  assert.equal(iso(nextCron(parseCron('0 0 13 * 5'), at('2026-12-01T00:00:00Z'))), '2026-12-04T00:00:00.000Z', 'either day field');
  assert.equal(nextCron(parseCron('* * * * *'), at('2026-12-07T13:04:00Z')), at('2026-12-07T13:05:00Z'), 'strictly after');
});

test('a run may last its interval; a shortened minute scales the clock', () => {
  const from = at('2026-12-07T13:04:30Z');
  assert.equal(runLimit(parseCron('*/10 * * * *'), from), 600_000);
  assert.equal(runLimit(parseCron('15 3 * * *'), from), 86_400_000);
  const c = clock(1000);
  assert.equal(c.virtual(1000), 60_000);
  assert.equal(c.real(c.virtual(12345)), 12345);
});

test('bad frequencies and cron expressions are refused saying why', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => everyToCron('5m'), /--every "5m" is not a frequency/],
    [() => everyToCron('10m', '01:00'), /--at applies to 1h and 1d/],
    [() => everyToCron('1d', '25:00'), /not a time of day/],
    [() => everyToCron('1d', 'noon'), /--at "noon" is not a time/],
    [() => parseCron('* * *'), /five fields/],
    [() => parseCron('61 * * * *'), /minute field "61" is out of range 0-59/],
    [() => parseCron('* * * * mon'), /day of week field "mon"/],
    [() => nextCron(parseCron('0 0 31 2 *'), 0), /never matches/],
  ];
  for (const [f, why] of bad) assert.throws(f, (e: Error) => e instanceof ScheduleError && why.test(e.message));
});
