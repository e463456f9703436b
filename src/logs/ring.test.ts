// Unit tests of the fixed-capacity ring under log histories and subscriber queues.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ring } from './ring.ts';

describe('Ring', () => {
  it('keeps at most capacity items, dropping the oldest', () => {
    const ring = new Ring<number>(3);
    assert.equal(ring.push(1), undefined);
    ring.push(2);
    ring.push(3);
    assert.ok(ring.full);
    assert.equal(ring.push(4), 1);
    assert.equal(ring.length, 3);
    assert.deepEqual([ring.at(0), ring.at(1), ring.at(2), ring.at(3)], [2, 3, 4, undefined]);
  });

  it('returns the newest matching items oldest first', () => {
    const ring = new Ring<number>(5);
    for (let i = 1; i <= 8; i++) ring.push(i);
    assert.deepEqual(ring.newest(2), [7, 8]);
    assert.deepEqual(ring.newest(10), [4, 5, 6, 7, 8]);
    assert.deepEqual(
      ring.newest(2, (n) => n % 2 === 0),
      [6, 8],
    );
    assert.deepEqual(ring.newest(0), []);
  });

  it('shifts in order and wraps around', () => {
    const ring = new Ring<string>(2);
    ring.push('a');
    ring.push('b');
    assert.equal(ring.shift(), 'a');
    ring.push('c');
    assert.equal(ring.shift(), 'b');
    assert.equal(ring.shift(), 'c');
    assert.equal(ring.shift(), undefined);
    assert.equal(ring.length, 0);
  });

  it('clears', () => {
    const ring = new Ring<number>(2);
    ring.push(1);
    ring.clear();
    assert.equal(ring.length, 0);
    assert.deepEqual(ring.newest(5), []);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new Ring(0), RangeError);
  });
});
