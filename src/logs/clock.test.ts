// Unit tests of the microsecond clock: close to the wall clock, and never behind itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMicroClock } from './clock.ts';

describe('createMicroClock', () => {
  it('tracks the wall clock with microsecond steps', () => {
    const clock = createMicroClock();
    const now = clock();
    assert.ok(now - BigInt(Date.now()) * 1000n < 2000n);
    const samples = Array.from({ length: 1000 }, () => clock());
    for (let i = 1; i < samples.length; i++) assert.ok(samples[i]! >= samples[i - 1]!);
    // hrtime gives sub-millisecond values, not just whole milliseconds.
    assert.ok(samples.some((s) => s % 1000n !== 0n));
  });

  it('re-anchors when it drifts from the wall clock', () => {
    const clock = createMicroClock(-1n); // any drift is too much: always the wall clock
    const wall = BigInt(Date.now()) * 1000n;
    const now = clock();
    assert.ok(now >= wall && now - wall < 5000n);
    assert.equal(now % 1000n, 0n);
  });
});
