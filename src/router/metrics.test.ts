// Router metrics: status classes, bytes and percentiles per app and minute; minutes roll over and
// are handed to the store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MINUTE, RouterMetrics, type MinuteMetrics } from './metrics.ts';

test('a minute counts requests by status class, sums bytes, and gives percentiles within 5%', () => {
  let now = 10 * MINUTE + 5;
  const stored: [string, MinuteMetrics][] = [];
  const m = new RouterMetrics({ now: () => now, persist: (app, x) => stored.push([app, x]) });
  for (let i = 1; i <= 100; i++) m.record('a', i <= 90 ? 200 : i <= 95 ? 404 : 503, i, 10);
  m.record('a', 101, 1, 0);
  m.record('b', 200, 1000, 5);
  const a = m.currentMinute('a')!;
  assert.deepEqual(a.requests, { '1xx': 1, '2xx': 90, '3xx': 0, '4xx': 5, '5xx': 5 });
  assert.equal(a.bytes, 1000);
  assert.equal(a.minute, new Date(10 * MINUTE).toISOString());
  for (const [p, want] of [[a.p50, 50], [a.p95, 95], [a.p99, 99]] as const) {
    assert.ok(p !== null && p >= want && p <= want * 1.06 + 1, `${p} ≈ ${want}`);
  }
  // The next minute's first request hands the finished one to the store; flush() the rest.
  now += MINUTE;
  m.record('a', 200, 3, 1);
  assert.deepEqual(stored.map(([app, x]) => [app, x.requests['2xx']]), [['a', 90]]);
  assert.equal(m.currentMinute('a')!.requests['2xx'], 1);
  m.flush();
  assert.deepEqual(stored.map(([app]) => app), ['a', 'b']);
  m.flush(true);
  assert.equal(stored.length, 3);
  assert.equal(m.currentMinute('a'), undefined, 'a stored minute is served from the store');
});

test('H-codes are counted, and a longer window computes its percentiles from the merged histograms', async () => {
  const { mergeMinutes } = await import('./metrics.ts');
  let now = 20 * MINUTE;
  const stored: MinuteMetrics[] = [];
  const m = new RouterMetrics({ now: () => now, persist: (_app, x) => stored.push(x) });
  // Minute one: 99 fast requests and one H12; minute two: 100 slow ones. An average of the minutes'
  // p50s would say ~500 ms; the window's true median is the fast/slow boundary.
  for (let i = 0; i < 99; i++) m.record('a', 200, 10, 1);
  m.record('a', 503, 30_000, 0, 'H12');
  now += MINUTE;
  for (let i = 0; i < 100; i++) m.record('a', 200, 1000, 1);
  m.record('a', 503, 1, 0, 'H13');
  m.record('a', 404, 1, 0, 'not-an-h-code');
  m.flush(true);
  assert.deepEqual(stored[0]!.errors, { H12: 1 });
  assert.deepEqual(stored[1]!.errors, { H13: 1 });
  const [w] = mergeMinutes(stored, 10 * MINUTE);
  assert.equal(w!.minute, new Date(20 * MINUTE).toISOString());
  assert.deepEqual(w!.requests, { '1xx': 0, '2xx': 199, '3xx': 0, '4xx': 1, '5xx': 2 });
  assert.deepEqual(w!.errors, { H12: 1, H13: 1 });
  assert.ok(w!.p50! >= 10 && w!.p50! <= 1050, `p50 ${w!.p50}`);
  assert.ok(w!.p95! >= 1000 && w!.p95! <= 1050, `p95 ${w!.p95}`);
  // JSON as stored: the histogram survives the store's round trip.
  const again = mergeMinutes(JSON.parse(JSON.stringify(stored)), 10 * MINUTE);
  assert.deepEqual(again, [w]);
  // Two windows when the step is one minute.
  assert.equal(mergeMinutes(stored, MINUTE).length, 2);
});
