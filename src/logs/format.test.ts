// Unit tests of the pure logplex text rules: timestamps, line format, filters, splitting and cutting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatLine, formatTimestamp, formatWholeSeconds, matchesFilter, splitMessage } from './format.ts';

describe('formatTimestamp / formatLine', () => {
  const time = new Date(Date.UTC(2026, 10, 24, 15, 19, 10, 123));

  it('writes UTC with six-digit microseconds and +00:00', () => {
    assert.equal(formatTimestamp(time, 456), '2026-11-24T15:19:10.123456+00:00');
    assert.equal(formatTimestamp(time, 7), '2026-11-24T15:19:10.123007+00:00');
    assert.equal(formatTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 0)), 0), '2026-01-02T03:04:05.000000+00:00');
  });

  it('formats a line as heroku logs prints it', () => {
    assert.equal(
      formatLine({ time, micros: 456, source: 'app', dyno: 'web.1', message: 'message' }),
      '2026-11-24T15:19:10.123456+00:00 app[web.1]: message',
    );
    assert.equal(
      formatLine({ time, micros: 0, source: 'heroku', dyno: 'router', message: 'at=info' }),
      '2026-11-24T15:19:10.123000+00:00 heroku[router]: at=info',
    );
  });

  it('writes whole seconds for notices', () => {
    assert.equal(formatWholeSeconds(time), '2026-11-24T15:19:10+00:00');
  });
});

describe('matchesFilter', () => {
  const line = (source: 'app' | 'heroku', dyno: string) => ({ source, dyno });

  it('matches everything without a filter', () => {
    assert.ok(matchesFilter(line('app', 'web.1'), undefined));
    assert.ok(matchesFilter(line('app', 'web.1'), {}));
  });

  it('matches the source exactly', () => {
    assert.ok(matchesFilter(line('app', 'web.1'), { source: 'app' }));
    assert.ok(!matchesFilter(line('heroku', 'web.1'), { source: 'app' }));
  });

  it('matches a dyno by exact name', () => {
    assert.ok(matchesFilter(line('app', 'web.1'), { dyno: 'web.1' }));
    assert.ok(!matchesFilter(line('app', 'web.10'), { dyno: 'web.1' }));
    assert.ok(!matchesFilter(line('app', 'web.2'), { dyno: 'web.1' }));
  });

  it('matches a bare process type against every dyno of that type only', () => {
    assert.ok(matchesFilter(line('app', 'web.1'), { dyno: 'web' }));
    assert.ok(matchesFilter(line('app', 'web.12'), { dyno: 'web' }));
    assert.ok(!matchesFilter(line('app', 'webhook.1'), { dyno: 'web' }));
    assert.ok(!matchesFilter(line('app', 'worker.1'), { dyno: 'web' }));
    assert.ok(matchesFilter(line('heroku', 'router'), { dyno: 'router' }));
    assert.ok(!matchesFilter(line('heroku', 'router'), { dyno: 'web' }));
  });

  it('combines source and dyno', () => {
    assert.ok(matchesFilter(line('heroku', 'web.1'), { source: 'heroku', dyno: 'web' }));
    assert.ok(!matchesFilter(line('app', 'web.1'), { source: 'heroku', dyno: 'web' }));
  });
});

describe('splitMessage', () => {
  it('splits at newlines; a trailing newline makes no empty line', () => {
    assert.deepEqual(splitMessage('a\nb\n', 10_000), ['a', 'b']);
    assert.deepEqual(splitMessage('a\n\nb', 10_000), ['a', '', 'b']);
    assert.deepEqual(splitMessage('one', 10_000), ['one']);
    assert.deepEqual(splitMessage('', 10_000), ['']);
    assert.deepEqual(splitMessage('\n', 10_000), ['']);
  });

  it('drops the \\r of CRLF line ends', () => {
    assert.deepEqual(splitMessage('a\r\nb\r\n', 10_000), ['a', 'b']);
  });

  it('cuts lines over the limit into pieces of the limit', () => {
    const pieces = splitMessage('x'.repeat(25_000), 10_000);
    assert.deepEqual(
      pieces.map((p) => p.length),
      [10_000, 10_000, 5_000],
    );
    assert.deepEqual(splitMessage('x'.repeat(10_000), 10_000).length, 1);
    assert.deepEqual(splitMessage(`${'a'.repeat(10_001)}\nshort`, 10_000), ['a'.repeat(10_000), 'a', 'short']);
  });

  it('cuts on character boundaries, never inside a UTF-8 sequence', () => {
    const euro = '€'.repeat(4000); // 3 bytes each: 12000 bytes
    const pieces = splitMessage(euro, 10_000);
    assert.deepEqual(
      pieces.map((p) => Buffer.byteLength(p)),
      [9_999, 2_001],
    );
    assert.equal(pieces.join(''), euro);
    const e = 'é'.repeat(6000); // 2 bytes each
    assert.deepEqual(
      splitMessage(e, 10_000).map((p) => Buffer.byteLength(p)),
      [10_000, 2_000],
    );
  });
});
