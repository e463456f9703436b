import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKeyValues, shellQuote } from './config-vars.ts';
import { renderDynos } from './dynos-format.ts';
import { formatFormation, parseScaleArgs, scaleSummary } from './formation.ts';
import { renderReleaseInfo, renderReleases } from './releases-format.ts';
import { ago, formatDate, when } from './time.ts';
import type { Dyno, Release } from './types.ts';
import { buildCommand, parseEnv } from './commands/run/detached.ts';
import { ApiError, renderError, UsageError } from './errors.ts';
import { colorizeLogLine } from './logs.ts';
import { palette, styledObject, table } from './ux.ts';

const now = new Date('2026-01-31T12:18:35Z');
const utc = { now, offsetMinutes: 0 };

describe('time', () => {
  it('formats dates with a numeric UTC offset', () => {
    const d = new Date('2026-01-31T12:15:35Z');
    assert.equal(formatDate(d, 0), '2026/01/31 12:15:35 +0000');
    assert.equal(formatDate(d, 60), '2026/01/31 13:15:35 +0100');
    assert.equal(formatDate(d, -330), '2026/01/31 06:45:35 -0530');
  });

  it('renders time ago in the largest whole unit', () => {
    const before = (s: number) => new Date(now.getTime() - s * 1000);
    assert.equal(ago(before(0), now), '(~ 0s ago)');
    assert.equal(ago(before(59), now), '(~ 59s ago)');
    assert.equal(ago(before(60), now), '(~ 1m ago)');
    assert.equal(ago(before(3599), now), '(~ 59m ago)');
    assert.equal(ago(before(3600), now), '(~ 1h ago)');
    assert.equal(ago(before(24 * 3600 + 59 * 60), now), '(~ 24h ago)');
    assert.equal(ago(before(25 * 3600), now), '(~ 1d ago)');
    assert.equal(ago(before(10 * 86400), now), '(~ 10d ago)');
    assert.equal(ago(new Date(now.getTime() + 5000), now), '(~ 0s ago)');
  });

  it('combines both, passing through what it cannot parse', () => {
    assert.equal(when('2026-01-31T12:15:35Z', utc), '2026/01/31 12:15:35 +0000 (~ 3m ago)');
    assert.equal(when('yesterday', utc), 'yesterday');
    assert.equal(when(undefined, utc), '');
  });
});

describe('tables', () => {
  it('pads every column but the last, two spaces apart', () => {
    assert.deepEqual(table([['v10', 'a', 'x'], ['v9', 'longer', 'y']]), ['v10  a       x', 'v9   longer  y']);
  });
  it('aligns styled object values', () => {
    assert.deepEqual(styledObject([['A', '1'], ['LONGER', '2']]), ['A:      1', 'LONGER: 2']);
  });
});

describe('renderReleases', () => {
  const user = { email: 'jon@example.com' };
  const releases: Release[] = [
    { version: 1, description: 'Initial release', status: 'succeeded', user, created_at: '2026-01-30T09:00:00Z' },
    { version: 3, description: 'Set FOO config vars', status: 'pending', user, created_at: '2026-01-31T12:18:00Z' },
    { version: 2, description: 'Deploy 582fc95', status: 'succeeded', current: true, user, created_at: '2026-01-31T12:15:35Z' },
    { version: 4, description: 'Deploy 1a2b3c4', status: 'failed', user: { email: 'ann@example.com' }, created_at: '2026-01-31T12:18:30Z' },
  ];

  it('prints the header and aligned rows, newest first, with status notes', () => {
    assert.deepEqual(renderReleases('demo', releases, utc), [
      '=== demo Releases - Current: v2',
      'v4  Deploy 1a2b3c4 release command failed          ann@example.com  2026/01/31 12:18:30 +0000 (~ 5s ago)',
      'v3  Set FOO config vars release command executing  jon@example.com  2026/01/31 12:18:00 +0000 (~ 35s ago)',
      'v2  Deploy 582fc95                                 jon@example.com  2026/01/31 12:15:35 +0000 (~ 3m ago)',
      'v1  Initial release                                jon@example.com  2026/01/30 09:00:00 +0000 (~ 1d ago)',
    ]);
  });

  it('says so when there are none', () => {
    assert.deepEqual(renderReleases('demo', [], utc), ['demo has no releases.']);
  });

  it('prints one release', () => {
    assert.deepEqual(
      renderReleaseInfo({ ...releases[2]!, eligible_for_rollback: true, addon_plan_names: ['heroku-postgresql:essential-0'] }, utc),
      [
        '=== Release v2',
        'Add-ons:                heroku-postgresql:essential-0',
        'By:                     jon@example.com',
        'Change:                 Deploy 582fc95',
        'Eligible for Rollback?: Yes',
        'When:                   2026/01/31 12:15:35 +0000 (~ 3m ago)',
      ],
    );
  });
});

describe('renderDynos', () => {
  const at = '2026-01-31T12:13:35Z';
  const dynos: Dyno[] = [
    { name: 'web.2', type: 'web', state: 'up', command: 'npm start', size: 'Standard-1X', updated_at: at },
    { name: 'worker.1', type: 'worker', state: 'crashed', command: 'node worker.js', size: 'Standard-2X', updated_at: at },
    { name: 'run.4711', type: 'run', state: 'up', command: 'bash', size: 'Standard-1X', updated_at: at },
    { name: 'web.10', type: 'web', state: 'starting', command: 'npm start', size: 'Standard-1X', updated_at: at },
    { name: 'web.1', type: 'web', state: 'up', command: 'npm start', size: 'Standard-1X', updated_at: at },
  ];

  it('groups one-off dynos first, then by command, dynos in number order', () => {
    assert.deepEqual(renderDynos('demo', dynos, utc), [
      '=== run: one-off processes (1)',
      'run.4711 (Standard-1X): up 2026/01/31 12:13:35 +0000 (~ 5m ago): bash',
      '',
      '=== web (Standard-1X): npm start (3)',
      'web.1: up 2026/01/31 12:13:35 +0000 (~ 5m ago)',
      'web.2: up 2026/01/31 12:13:35 +0000 (~ 5m ago)',
      'web.10: starting 2026/01/31 12:13:35 +0000 (~ 5m ago)',
      '',
      '=== worker (Standard-2X): node worker.js (1)',
      'worker.1: crashed 2026/01/31 12:13:35 +0000 (~ 5m ago)',
    ]);
  });

  it('says so when there are none', () => {
    assert.deepEqual(renderDynos('demo', [], utc), ['No dynos on demo']);
  });
});

describe('ps:scale arguments', () => {
  it('parses absolute, relative and sized changes, quantity as a string', () => {
    assert.deepEqual(parseScaleArgs(['web=2', 'web+1', 'worker-1', 'worker=2:standard-2x', 'clock-tower=0']), [
      { type: 'web', quantity: '2' },
      { type: 'web', quantity: '+1' },
      { type: 'worker', quantity: '-1' },
      { type: 'worker', quantity: '2', size: 'standard-2x' },
      { type: 'clock-tower', quantity: '0' },
    ]);
    assert.deepEqual(parseScaleArgs([]), []);
  });

  it('rejects anything else, naming the argument', () => {
    for (const bad of ['web', 'web=', 'web=two', '=2', 'web=2:', 'web 2', 'web=2:Standard 2X', 'web*2']) {
      assert.throws(() => parseScaleArgs([bad]), new RegExp(`Invalid argument: ${bad.replace(/[*+]/g, '\\$&')}`), bad);
    }
  });

  it('prints the formation back in ps:scale form and summarises a change', () => {
    const formation = [
      { type: 'worker', quantity: 0, size: 'Standard-1X' },
      { type: 'web', quantity: 2, size: 'Standard-1X' },
    ];
    assert.equal(formatFormation(formation), 'web=2:Standard-1X worker=0:Standard-1X');
    assert.equal(scaleSummary(formation, [{ type: 'web', quantity: '2' }]), 'now running web at 2:Standard-1X');
  });
});

describe('config var arguments', () => {
  it('splits at the first = and keeps spaces and = in values', () => {
    assert.deepEqual(parseKeyValues(['A=1', 'B=two words', 'C=x=y', 'D=']), { A: '1', B: 'two words', C: 'x=y', D: '' });
  });
  it('rejects an argument without a key', () => {
    assert.throws(() => parseKeyValues(['NOEQUALS']), /NOEQUALS is invalid. Must be in the format FOO=bar./);
    assert.throws(() => parseKeyValues(['=v']), /is invalid/);
  });
  it('quotes values for a POSIX shell', () => {
    assert.equal(shellQuote('postgres://u:p@h:5432/db'), 'postgres://u:p@h:5432/db');
    assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
    assert.equal(shellQuote(''), "''");
  });
});

describe('log lines', () => {
  const marks = palette(true);
  it('colours the time and source[dyno] prefix, leaving the message alone', () => {
    const line = '2026-01-31T12:00:00.123456+00:00 app[web.1]: Listening on 5000';
    const out = colorizeLogLine(line, marks);
    assert.notEqual(out, line);
    assert.equal(out.replace(/\x1b\[\d+m/g, ''), line);
    assert.ok(out.endsWith(' Listening on 5000'));
  });
  it('passes other lines through', () => {
    assert.equal(colorizeLogLine('Error L20 (Tail sessions forbidden)', marks), 'Error L20 (Tail sessions forbidden)');
  });
});

describe('run:detached arguments', () => {
  it('keeps one argument as typed and quotes joined arguments that need it', () => {
    assert.equal(buildCommand(['ls -la | wc -l']), 'ls -la | wc -l');
    assert.equal(buildCommand(['echo', 'hello world', 'say "hi"', 'x']), 'echo "hello world" "say \\"hi\\"" x');
  });
  it('parses -e K=V;K2=V2', () => {
    assert.deepEqual(parseEnv('A=1;B=x=y;'), { A: '1', B: 'x=y' });
    assert.equal(parseEnv(undefined), undefined);
    assert.throws(() => parseEnv('NOPE'), /Invalid --env entry: NOPE/);
  });
});

describe('error rendering', () => {
  it('prints API messages with the arrow, and the id only when it adds something', () => {
    const e = (id: string) => new ApiError({ status: 500, id, message: 'Something broke.', body: {}, method: 'GET', url: 'u' });
    assert.deepEqual(renderError(e('internal_server_error')), {
      text: ' ▸    Something broke.\n ▸\n ▸    Error ID: internal_server_error',
      exitCode: 1,
    });
    assert.equal(renderError(e('not_found')).text, ' ▸    Something broke.');
  });
  it('points usage errors at --help', () => {
    assert.equal(renderError(new UsageError('Nonexistent flag: --x')).text, ' ▸    Nonexistent flag: --x\n ▸    See more help with --help');
  });
});

it('ps shows when a crashed dyno will be booted again', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const lines = renderDynos('demo', [
    { name: 'web.1', type: 'web', state: 'crashed', command: 'npm start', size: 'Standard-1X', updated_at: '2026-11-25T11:59:00Z', restart_at: '2026-11-25T12:19:00Z' },
  ], { now, offsetMinutes: 0 });
  assert.deepEqual(lines, [
    '=== web (Standard-1X): npm start (1)',
    'web.1: crashed 2026/11/25 11:59:00 +0000 (~ 1m ago), restarting at 2026/11/25 12:19:00 +0000 (in ~ 19m)',
  ]);
});
