import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachLimited } from './launching.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('eachLimited runs at most `limit` at once, starts in order, and visits every item', async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    started.push(n);
    running++;
    most = Math.max(most, running);
    for (let i = 0; i < 8 - n; i++) await tick();
    running--;
  });
  assert.deepEqual(started, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(most, 3);
});

test('eachLimited: a failure does not stop the others; it is reported once all have settled', async () => {
  const done: number[] = [];
  await assert.rejects(eachLimited([1, 2, 3, 4], 2, async (n) => {
    await tick();
    if (n === 2) throw new Error('two failed');
    done.push(n);
  }), /two failed/);
  assert.deepEqual(done.sort(), [1, 3, 4]);
});

test('eachLimited of nothing resolves', async () => {
  await eachLimited([], 8, async () => { throw new Error('never called'); });
});
