import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dynoRef, memoryQuotaLines, nextLoad, runtimeMetricsLines } from './metrics.ts';

const MB = 1024 * 1024;
const sample = { rssBytes: 21.22 * MB, cacheBytes: 0, swapBytes: 0, pgpgin: 348836, pgpgout: 343403, runnable: 2 };

test('runtime metrics lines have Heroku\'s fields and units', () => {
  const [load, mem] = runtimeMetricsLines('web.1', 'heroku.123.abc', sample, { m1: 2.456, m5: 1.06, m15: 0.99 }, 512 * MB);
  assert.equal(load, 'source=web.1 dyno=heroku.123.abc sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 sample#load_avg_15m=0.99');
  assert.equal(mem, 'source=web.1 dyno=heroku.123.abc sample#memory_total=21.22MB sample#memory_rss=21.22MB sample#memory_cache=0.00MB '
    + 'sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB');
});

test('R14 only above the quota, with the usage and percentage', () => {
  assert.deepEqual(memoryQuotaLines(sample, 512 * MB), []);
  assert.deepEqual(memoryQuotaLines({ ...sample, rssBytes: 590 * MB }, 512 * MB), ['Process running mem=590M(115.2%)', 'Error R14 (Memory quota exceeded)']);
  assert.deepEqual(memoryQuotaLines({ ...sample, rssBytes: 500 * MB, swapBytes: 30 * MB, cacheBytes: 400 * MB }, 512 * MB)[0], 'Process running mem=530M(103.5%)');
});

test('load averages decay towards the runnable count like the kernel\'s', () => {
  let l = nextLoad(undefined, 0, 20_000);
  for (let i = 0; i < 3; i++) l = nextLoad(l, 3, 20_000); // one minute at 3 runnable
  assert.ok(l.m1 > 1.8 && l.m1 < 2.0, `1m after a minute: ${l.m1}`); // 3 * (1 - e^-1)
  assert.ok(l.m5 < l.m1 && l.m15 < l.m5);
});

test('dyno refs are stable per incarnation', () => {
  assert.match(dynoRef('0a1b2c3d-0000-0000-0000-000000000000', 'd97d0ea7'), /^heroku\.\d+\.d97d0ea7$/);
});
