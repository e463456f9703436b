// Unit tests of one subscriber's bounded queue: direct hand-over when idle, queueing while busy,
// drop-newest when full, the L11 notice's text and place, and ending on failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Subscription, tailOverflowMessage } from './subscription.ts';
import type { LogLine } from './types.ts';

const at = new Date(Date.UTC(2011, 4, 3, 17, 35, 0, 250));
const line = (message: string): LogLine => ({ time: at, micros: 0, source: 'app', dyno: 'web.1', message });

function harness(capacity: number) {
  const got: string[] = [];
  const errors: unknown[] = [];
  let ended = 0;
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const hold = (): void => {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    gate = { promise, open };
  };
  const sub = new Subscription({
    filter: {},
    capacity,
    onLine: (l) => {
      got.push(l.message);
      return gate?.promise;
    },
    notice: (message) => ({ ...line(message), source: 'heroku', dyno: 'logplex' }),
    reportError: (err) => errors.push(err),
    onEnd: () => ended++,
  });
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { sub, got, errors, ended: () => ended, hold, release: () => { const g = gate; gate = undefined; g?.open(); }, settle };
}

describe('Subscription', () => {
  it("writes L11 in logplex's words, with whole-second time", () => {
    assert.equal(
      tailOverflowMessage(1101, at),
      'Error L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2011-05-03T17:35:00+00:00.',
    );
  });

  it('hands lines over at once while idle', () => {
    const h = harness(2);
    h.sub.offer(line('a'));
    h.sub.offer(line('b'));
    assert.deepEqual(h.got, ['a', 'b']);
  });

  it('queues while busy, drops the newest when full, then sends L11 before newer lines', async () => {
    const h = harness(2);
    h.hold();
    for (const m of ['1', '2', '3', '4', '5']) h.sub.offer(line(m));
    assert.deepEqual(h.got, ['1']);
    assert.equal(h.sub.pendingDrops, 2);
    h.release();
    await h.settle();
    // 2 and 3 were queued; 4 and 5 were dropped, and the notice follows what was queued.
    assert.deepEqual(h.got, ['1', '2', '3', tailOverflowMessage(2, at)]);
    h.sub.offer(line('6'));
    assert.deepEqual(h.got.at(-1), '6');
  });

  it('puts the notice in the queue ahead of a newer line when room frees up while still busy', async () => {
    const h = harness(3);
    h.hold();
    for (const m of ['1', '2', '3', '4', '5']) h.sub.offer(line(m)); // 1 delivered, 2-4 queued, 5 dropped
    h.release();
    h.hold(); // 2 is handed over next and keeps the subscriber busy
    await h.settle();
    assert.deepEqual(h.got, ['1', '2']);
    h.sub.offer(line('6')); // room for the notice and for 6
    h.release();
    await h.settle();
    assert.deepEqual(h.got, ['1', '2', '3', '4', tailOverflowMessage(1, at), '6']);
  });

  it('ends itself and reports when onLine throws or rejects', async () => {
    const errors: unknown[] = [];
    let ended = 0;
    const sub = new Subscription({
      filter: {},
      capacity: 1,
      onLine: (l) => (l.message === 'throw' ? Promise.reject(new Error('nope')) : undefined),
      notice: line,
      reportError: (err) => errors.push(err),
      onEnd: () => ended++,
    });
    sub.offer(line('throw'));
    await new Promise((resolve) => setImmediate(resolve));
    sub.offer(line('ignored'));
    assert.equal(errors.length, 1);
    assert.equal(ended, 1);
  });

  it('delivers nothing after close', () => {
    const h = harness(2);
    h.sub.close();
    h.sub.offer(line('x'));
    assert.deepEqual(h.got, []);
  });
});
