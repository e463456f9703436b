// Sign-in attempts per address: refused past the limit, allowed again as failures age out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_FAILURES, SignInLimiter, WINDOW_MS } from './limiter.ts';

test('an address is refused after too many failures, others are not, and it may try again later', () => {
  let now = 1_000_000;
  const l = new SignInLimiter(() => now);
  for (let i = 0; i < MAX_FAILURES - 1; i++) { l.failed('1.2.3.4'); now += 1000; }
  assert.equal(l.retryAfterMs('1.2.3.4'), 0);
  l.failed('1.2.3.4');
  const wait = l.retryAfterMs('1.2.3.4');
  assert.ok(wait > 0 && wait <= WINDOW_MS, `waits ${wait} ms`);
  assert.equal(l.retryAfterMs('5.6.7.8'), 0, 'another address is not held back');
  now += wait;
  assert.equal(l.retryAfterMs('1.2.3.4'), 0, 'the oldest failure aged out');
});
