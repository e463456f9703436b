// Tests of Logplex in memory: ordering and stamps, the history bound, recent(n, filter), splitting,
// live subscribers, and the slow-subscriber policy (bounded queue, drops, L11).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLine } from './format.ts';
import { Logplex } from './logplex.ts';
import type { LogLine } from './types.ts';

const stampOf = (line: LogLine): bigint => BigInt(line.time.getTime()) * 1000n + BigInt(line.micros);

describe('Logplex history', () => {
  it('keeps lines of two dynos, the router and the API in one ordered stream', () => {
    const logplex = new Logplex();
    logplex.emit('app1', 'app', 'web.1', 'web one says hi');
    logplex.emit('app1', 'heroku', 'router', 'at=info method=GET path="/"');
    logplex.emit('app1', 'app', 'web.2', 'web two says hi');
    logplex.emit('app1', 'app', 'api', 'Release v2 created by user@example.com');
    logplex.emit('app1', 'app', 'web.1', 'web one again');
    const lines = logplex.recent('app1', 100);
    assert.deepEqual(
      lines.map((l) => `${l.source}[${l.dyno}]`),
      ['app[web.1]', 'heroku[router]', 'app[web.2]', 'app[api]', 'app[web.1]'],
    );
    for (let i = 1; i < lines.length; i++) assert.ok(stampOf(lines[i]!) > stampOf(lines[i - 1]!));
    // The printed timestamps sort the same way as the lines.
    const printed = lines.map(formatLine);
    assert.deepEqual([...printed].sort(), printed);
  });

  it('never stamps a line earlier than the previous one, even when the clock stands still or goes back', () => {
    let now = 1_795_533_550_123_456n;
    const logplex = new Logplex({ clock: () => now });
    logplex.emit('a', 'app', 'web.1', 'first');
    logplex.emit('a', 'app', 'web.1', 'second');
    now -= 5_000_000n;
    logplex.emit('a', 'app', 'web.1', 'third');
    assert.deepEqual(
      logplex.recent('a', 3).map(formatLine),
      [
        '2026-11-24T15:19:10.123456+00:00 app[web.1]: first',
        '2026-11-24T15:19:10.123457+00:00 app[web.1]: second',
        '2026-11-24T15:19:10.123458+00:00 app[web.1]: third',
      ],
    );
  });

  it('stamps with the wall clock to the microsecond', () => {
    const logplex = new Logplex();
    const before = Date.now();
    logplex.emit('a', 'app', 'web.1', 'now');
    const [line] = logplex.recent('a', 1);
    assert.ok(line && Math.abs(line.time.getTime() - before) < 1000);
    assert.ok(line.micros >= 0 && line.micros <= 999);
  });

  it('keeps the newest 1500 lines per app and drops the oldest', () => {
    const logplex = new Logplex();
    for (let i = 1; i <= 1600; i++) logplex.emit('a', 'app', 'web.1', `line ${i}`);
    logplex.emit('b', 'app', 'web.1', 'other app');
    const lines = logplex.recent('a', 5000);
    assert.equal(lines.length, 1500);
    assert.equal(lines[0]!.message, 'line 101');
    assert.equal(lines[1499]!.message, 'line 1600');
    assert.equal(logplex.recent('b', 5000).length, 1);
  });

  it('honours n: the newest n lines, oldest first', () => {
    const logplex = new Logplex();
    for (let i = 1; i <= 10; i++) logplex.emit('a', 'app', 'web.1', `line ${i}`);
    assert.deepEqual(
      logplex.recent('a', 3).map((l) => l.message),
      ['line 8', 'line 9', 'line 10'],
    );
    assert.deepEqual(logplex.recent('a', 0), []);
    assert.deepEqual(logplex.recent('nope', 10), []);
  });

  it('filters by source and by dyno name or process type before counting n', () => {
    const logplex = new Logplex();
    logplex.emit('a', 'app', 'web.1', 'w1');
    logplex.emit('a', 'app', 'webhook.1', 'hook');
    logplex.emit('a', 'heroku', 'web.1', 'State changed from starting to up');
    logplex.emit('a', 'app', 'web.2', 'w2');
    logplex.emit('a', 'heroku', 'router', 'at=info');
    logplex.emit('a', 'app', 'worker.1', 'job');
    const messages = (filter: Parameters<Logplex['recent']>[2], n = 100) => logplex.recent('a', n, filter).map((l) => l.message);
    assert.deepEqual(messages({ dyno: 'web' }), ['w1', 'State changed from starting to up', 'w2']);
    assert.deepEqual(messages({ dyno: 'web', source: 'app' }), ['w1', 'w2']);
    assert.deepEqual(messages({ dyno: 'web.2' }), ['w2']);
    assert.deepEqual(messages({ source: 'heroku' }), ['State changed from starting to up', 'at=info']);
    assert.deepEqual(messages({ dyno: 'web' }, 1), ['w2']);
  });

  it('splits messages into lines and cuts lines over 10000 bytes', () => {
    const logplex = new Logplex();
    logplex.emit('a', 'app', 'web.1', 'one\ntwo\n');
    logplex.emit('a', 'app', 'web.1', 'y'.repeat(20_001));
    const lines = logplex.recent('a', 10);
    assert.deepEqual(
      lines.map((l) => l.message.length),
      [3, 3, 10_000, 10_000, 1],
    );
    assert.deepEqual(
      lines.slice(0, 2).map((l) => l.message),
      ['one', 'two'],
    );
  });

  it('forgets an app', () => {
    const logplex = new Logplex();
    logplex.emit('a', 'app', 'web.1', 'x');
    logplex.forget('a');
    assert.deepEqual(logplex.recent('a', 10), []);
  });
});

describe('Logplex subscribers', () => {
  it('delivers matching new lines in order until unsubscribed', async () => {
    const logplex = new Logplex();
    logplex.emit('a', 'app', 'web.1', 'before');
    const got: string[] = [];
    const unsubscribe = logplex.subscribe('a', { dyno: 'web' }, (line) => {
      got.push(line.message);
    });
    logplex.emit('a', 'app', 'web.1', 'one');
    logplex.emit('a', 'app', 'worker.1', 'not me');
    logplex.emit('b', 'app', 'web.1', 'other app');
    logplex.emit('a', 'app', 'web.2', 'two\nthree');
    unsubscribe();
    unsubscribe();
    logplex.emit('a', 'app', 'web.1', 'after');
    assert.deepEqual(got, ['one', 'two', 'three']);
    assert.equal(logplex.subscriberCount('a'), 0);
  });

  it('keeps history order when a subscriber emits from inside its callback', () => {
    const logplex = new Logplex();
    const got: string[] = [];
    const unsubscribe = logplex.subscribe('a', {}, (line) => {
      got.push(line.message);
      if (line.message === 'first') logplex.emit('a', 'heroku', 'logplex', 'nested');
    });
    logplex.emit('a', 'app', 'web.1', 'first\nsecond');
    unsubscribe();
    // The nested line was stamped while `first` was being delivered, so it precedes `second`.
    assert.deepEqual(got, ['first', 'nested', 'second']);
    assert.deepEqual(
      logplex.recent('a', 3).map((l) => l.message),
      got,
    );
  });

  it('never lets a slow subscriber slow emit: it drops, counts, and later gets L11', async () => {
    const capacity = 100;
    const total = 20_000;
    // The budget of an app's output is not what this is about: it lets all of them through.
    const logplex = new Logplex({ subscriberQueueLines: capacity, appLinesBurst: total });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: LogLine[] = [];
    const unsubscribeSlow = logplex.subscribe('a', {}, async (line) => {
      slow.push(line);
      await gate;
    });
    let fast = 0;
    const unsubscribeFast = logplex.subscribe('a', {}, () => {
      fast++;
    });

    const started = performance.now();
    for (let i = 0; i < total; i++) logplex.emit('a', 'app', 'web.1', `line ${i}`);
    const emitMs = performance.now() - started;

    // The stuck subscriber held nothing up: the fast one saw every line, synchronously.
    assert.equal(fast, total);
    assert.equal(slow.length, 1);
    assert.ok(emitMs < 2000, `emit took ${emitMs} ms`);

    release();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));

    const notices = slow.filter((l) => l.dyno === 'logplex');
    assert.equal(notices.length, 1);
    const notice = notices[0]!;
    assert.equal(notice.source, 'heroku');
    const match = /^Error L11 \(Tail buffer overflow\) -> This tail session dropped (\d+) messages since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)\.$/.exec(
      notice.message,
    );
    assert.ok(match, notice.message);
    const delivered = slow.filter((l) => l.dyno !== 'logplex');
    assert.equal(delivered.length, 1 + capacity);
    assert.equal(delivered.length + Number(match[1]), total);
    // What was delivered is the oldest lines, in order, and the notice comes after them.
    assert.deepEqual(
      delivered.map((l) => l.message),
      Array.from({ length: 1 + capacity }, (_, i) => `line ${i}`),
    );
    assert.equal(slow[slow.length - 1], notice);

    // Once caught up the stream resumes normally.
    logplex.emit('a', 'app', 'web.1', 'resumed');
    assert.equal(slow[slow.length - 1]!.message, 'resumed');
    unsubscribeSlow();
    unsubscribeFast();
  });

  it('ends a subscriber that throws and reports it, leaving the others alone', () => {
    const errors: string[] = [];
    const logplex = new Logplex({ reportError: (err) => errors.push(String(err)) });
    logplex.subscribe('a', {}, () => {
      throw new Error('boom');
    });
    const got: string[] = [];
    const unsubscribe = logplex.subscribe('a', {}, (line) => {
      got.push(line.message);
    });
    logplex.emit('a', 'app', 'web.1', 'one');
    logplex.emit('a', 'app', 'web.1', 'two');
    assert.deepEqual(got, ['one', 'two']);
    assert.deepEqual(errors, ['Error: boom']);
    assert.equal(logplex.subscriberCount('a'), 1);
    unsubscribe();
  });
});

describe('Logplex per-app output budget', () => {
  it('drops an app\'s output past its budget, says how many with an L10 notice before the next kept line, and spares other apps and the platform\'s lines', () => {
    let now = 1_795_533_550_000_000n;
    const logplex = new Logplex({ clock: () => now, appLinesPerSecond: 10, appLinesBurst: 20, historyLines: 1500 });
    // A flood: 1000 lines in one block at one instant; 20 pass (the burst), 980 are dropped.
    logplex.emit('flood', 'app', 'web.1', Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n'));
    logplex.emit('flood', 'heroku', 'router', 'at=info method=GET path="/"');
    logplex.emit('flood', 'app', 'api', 'Release v3 created by user@example.com');
    logplex.emit('quiet', 'app', 'web.1', 'another app still logs');
    let lines = logplex.recent('flood', 1500).map((l) => `${l.source}[${l.dyno}]: ${l.message}`);
    assert.equal(lines.filter((l) => l.startsWith('app[web.1]')).length, 20);
    assert.equal(lines.at(-1), 'app[api]: Release v3 created by user@example.com');
    assert.ok(lines.includes('heroku[router]: at=info method=GET path="/"'));
    assert.deepEqual(logplex.recent('quiet', 10).map((l) => l.message), ['another app still logs']);
    // A second later the budget has refilled by 10 lines: the notice comes first, then the line.
    now += 1_000_000n;
    logplex.emit('flood', 'app', 'web.1', 'after the flood');
    lines = logplex.recent('flood', 2).map((l) => `${l.source}[${l.dyno}]: ${l.message}`);
    assert.deepEqual(lines, ['heroku[logplex]: Error L10 (output buffer overflow): 980 messages dropped since 2026-11-24T15:19:10+00:00.', 'app[web.1]: after the flood']);
  });
});
