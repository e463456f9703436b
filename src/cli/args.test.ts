import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, type ParseSpec } from './args.ts';
import { appFlags, flag } from './command.ts';
import { UsageError } from './errors.ts';

const spec = (o: Partial<ParseSpec> = {}): ParseSpec => ({
  flags: {
    ...appFlags,
    json: flag.boolean({ description: 'json' }),
    num: flag.integer({ char: 'n', default: 100, description: 'lines' }),
    tail: flag.boolean({ char: 't', description: 'tail' }),
    dyno: flag.string({ char: 'd', aliases: ['p', 'ps'], description: 'dyno' }),
  },
  args: [],
  variadic: false,
  passthrough: false,
  ...o,
});

describe('parseArgs', () => {
  it('reads short, long, --x=y and -xy forms of a string flag', () => {
    for (const argv of [['-a', 'demo'], ['--app', 'demo'], ['--app=demo'], ['-ademo'], ['-a=demo']]) {
      assert.equal(parseArgs(argv, spec()).flags.app, 'demo', argv.join(' '));
    }
  });

  it('keeps = inside a --flag=value value', () => {
    assert.equal(parseArgs(['--app=a=b'], spec()).flags.app, 'a=b');
  });

  it('sets booleans, defaults absent ones to false and applies defaults', () => {
    const p = parseArgs(['--json', '-t'], spec());
    assert.equal(p.flags.json, true);
    assert.equal(p.flags.tail, true);
    assert.equal(parseArgs([], spec()).flags.json, false);
    assert.equal(parseArgs([], spec()).flags.num, 100);
    assert.equal(parseArgs([], spec()).flags.app, undefined);
  });

  it('converts integers and rejects non-integers', () => {
    assert.equal(parseArgs(['-n', '5'], spec()).flags.num, 5);
    assert.equal(parseArgs(['--num=-1'], spec()).flags.num, -1);
    assert.throws(() => parseArgs(['-n', 'five'], spec()), /Expected an integer for --num but received: five/);
  });

  it('accepts aliases of a flag, long and short', () => {
    assert.equal(parseArgs(['-p', 'web.1'], spec()).flags.dyno, 'web.1');
    assert.equal(parseArgs(['--ps', 'web.1'], spec()).flags.dyno, 'web.1');
  });

  it('rejects an unknown flag', () => {
    assert.throws(() => parseArgs(['--nope'], spec()), (e: unknown) => e instanceof UsageError && /Nonexistent flag: --nope/.test(e.message));
    assert.throws(() => parseArgs(['-z'], spec()), /Nonexistent flag: -z/);
  });

  it('rejects a missing value and a value given to a boolean', () => {
    assert.throws(() => parseArgs(['--app'], spec()), /Flag --app expects a value/);
    assert.throws(() => parseArgs(['--json=yes'], spec()), /does not take a value/);
  });

  it('maps declared args by name and rejects extras unless variadic', () => {
    const s = spec({ args: [{ name: 'name', description: '' }] });
    assert.deepEqual(parseArgs(['demo', '-a', 'x'], s).args, { name: 'demo' });
    assert.throws(() => parseArgs(['demo', 'extra'], s), /Unexpected argument: extra/);
    const v = parseArgs(['A=1', 'B=two words', 'C=x=y'], spec({ args: [{ name: 'var', description: '' }], variadic: true }));
    assert.deepEqual(v.argv, ['A=1', 'B=two words', 'C=x=y']);
    assert.equal(v.args.var, 'A=1');
  });

  it('requires required args, except when asking for help', () => {
    const s = spec({ args: [{ name: 'buildpack', description: '', required: true }] });
    assert.throws(() => parseArgs([], s), /Missing required argument: BUILDPACK/);
    assert.equal(parseArgs(['--help'], s).help, true);
    assert.equal(parseArgs(['-h'], s).help, true);
  });

  it('treats everything after -- as positional', () => {
    const p = parseArgs(['-a', 'demo', '--', 'ls', '-a', '--json'], spec({ variadic: true }));
    assert.equal(p.flags.app, 'demo');
    assert.equal(p.flags.json, false);
    assert.deepEqual(p.argv, ['ls', '-a', '--json']);
  });

  it('passes unknown flags through as positional values for passthrough commands', () => {
    const p = parseArgs(['ls', '-la', '--color=auto', '-a', 'demo'], spec({ variadic: true, passthrough: true }));
    assert.deepEqual(p.argv, ['ls', '-la', '--color=auto']);
    assert.equal(p.flags.app, 'demo');
  });

  it('does not take a negative number for a flag', () => {
    assert.deepEqual(parseArgs(['-1'], spec({ variadic: true })).argv, ['-1']);
  });
});
