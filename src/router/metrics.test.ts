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
