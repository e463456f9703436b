import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crashRestartDelayMs } from './backoff.ts';
import { findSize, sizeOrDefault } from '../runtime/sizes.ts';

test('crash restarts follow the documented cool-off steps', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map((n) => crashRestartDelayMs(n, 1)), [0, 20, 40, 60, 180, 320, 320, 320]);
});

test('sizes are found by any spelling and hard limits sit at twice the quota', () => {
  assert.equal(findSize('Standard-2X')?.quotaBytes, 1024 * 1024 * 1024);
  assert.equal(findSize('standard_1x')?.display, 'Standard-1X');
  assert.equal(findSize('huge'), undefined);
  const s = sizeOrDefault(undefined);
  assert.equal(s.name, 'standard-1x');
  assert.equal(s.hardLimitBytes, 2 * s.quotaBytes);
});
