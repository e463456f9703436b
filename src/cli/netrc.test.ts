import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { apiBase, credentials, netrcMachines } from './config.ts';
import { findMachine, netrcPath, parseNetrc, readNetrc, removeMachines, setMachines, writeNetrc } from './netrc.ts';

describe('netrc parsing', () => {
  it('reads multi-line and single-line entries, comments, quotes, default and macdef', () => {
    const text = [
      '# my machines',
      'machine api.example.com login me@example.com password one',
      'machine localhost:5000',
      '  login jon@example.com',
      '  password "two words"',
      'macdef init',
      'cd /tmp',
      'ls',
      '',
      'machine other login x password y machine third login z password w',
      'default login anon password guest',
      '',
    ].join('\n');
    const entries = parseNetrc(text);
    assert.deepEqual(
      entries.map((e) => [e.machine, e.login, e.password]),
      [
        ['api.example.com', 'me@example.com', 'one'],
        ['localhost:5000', 'jon@example.com', 'two words'],
        ['other', 'x', 'y'],
        ['third', 'z', 'w'],
        [undefined, 'anon', 'guest'],
      ],
    );
    assert.equal(findMachine(text, 'third')?.password, 'w');
    assert.equal(findMachine(text, 'nowhere')?.password, 'guest');
  });

  it('returns nothing for an empty file', () => {
    assert.deepEqual(parseNetrc(''), []);
    assert.equal(findMachine('', 'x'), undefined);
  });
});

describe('netrc editing', () => {
  const original = [
    '# keep this comment',
    'machine github.com login octo password gh-token',
    'machine localhost:5000 login old@example.com password OLD',
    '# and this one',
    'machine localhost login old@example.com password OLD',
    'machine after login a password b',
    '',
  ].join('\n');

  it('replaces entries and leaves everything else byte for byte', () => {
    const updated = setMachines(original, ['localhost:5000', 'localhost'], 'jon@example.com', 'NEW');
    assert.equal(findMachine(updated, 'localhost:5000')?.password, 'NEW');
    assert.equal(findMachine(updated, 'localhost')?.login, 'jon@example.com');
    assert.equal(findMachine(updated, 'github.com')?.password, 'gh-token');
    assert.equal(findMachine(updated, 'after')?.password, 'b');
    assert.ok(updated.includes('# keep this comment\n'));
    assert.ok(updated.includes('# and this one\n'));
    assert.ok(!updated.includes('OLD'));
    assert.ok(updated.endsWith('machine localhost\n  login jon@example.com\n  password NEW\n'));
  });

  it('removes entries in single-line files without touching neighbours', () => {
    const text = 'machine a login x password 1 machine localhost:5000 login y password 2 machine b login z password 3\n';
    const out = removeMachines(text, ['localhost:5000']);
    assert.deepEqual(parseNetrc(out).map((e) => e.machine), ['a', 'b']);
    assert.equal(findMachine(out, 'b')?.password, '3');
  });

  it('round-trips through a file in a temp HOME, mode 0600', () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-netrc-'));
    after(() => rmSync(home, { recursive: true, force: true }));
    const env = { HOME: home };
    const file = netrcPath(env);
    assert.equal(file, join(home, '.netrc'));
    writeFileSync(file, 'machine github.com login octo password gh\n', { mode: 0o644 });

    const base = apiBase({ SLIPWAY_HOST: 'http://localhost:5000' });
    writeNetrc(file, setMachines(readNetrc(file), netrcMachines(base), 'jon@example.com', 'KEY-1'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(credentials(env, base), { key: 'KEY-1', source: 'netrc' });
    assert.equal(findMachine(readFileSync(file, 'utf8'), 'localhost')?.password, 'KEY-1');

    assert.deepEqual(credentials({ ...env, SLIPWAY_API_KEY: 'ENV-KEY' }, base), { key: 'ENV-KEY', source: 'env' });

    writeNetrc(file, removeMachines(readNetrc(file), netrcMachines(base)));
    assert.equal(credentials(env, base), undefined);
    assert.equal(readFileSync(file, 'utf8'), 'machine github.com login octo password gh\n');
  });

  it('names the API machine host:port and adds the bare host git matches', () => {
    assert.deepEqual(netrcMachines(new URL('http://localhost:5000')), ['localhost:5000', 'localhost']);
    assert.deepEqual(netrcMachines(new URL('https://slipway.example.com')), ['slipway.example.com']);
  });
});
