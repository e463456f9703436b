// bin/detect and bin/release of the three built-in buildpacks, and the shape of
// the folders (what any platform speaking Heroku's classic buildpack API needs).
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import YAML from 'yaml';
import { BUILDPACK_NAMES, BUILDPACKS_DIR, Sandbox, compile, detect, release, type BuildpackName } from '../helpers/buildpacks.ts';

const sb = new Sandbox();
after(() => sb.cleanup());
const env = sb.env();

describe('buildpack folders', () => {
  for (const name of BUILDPACK_NAMES) {
    test(`${name} has executable bash bin/detect, bin/compile, bin/release`, () => {
      for (const script of ['detect', 'compile', 'release']) {
        const p = join(BUILDPACKS_DIR, name, 'bin', script);
        accessSync(p, constants.X_OK);
        assert.ok(statSync(p).isFile());
        assert.match(readFileSync(p, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env bash$/);
      }
    });
  }
});

describe('bin/detect', () => {
  // files in the app -> which buildpacks apply
  const matrix: { files: string[]; nodejs: boolean; python: boolean; procfile: boolean }[] = [
    { files: [], nodejs: false, python: false, procfile: false },
    { files: ['README.md', 'index.html'], nodejs: false, python: false, procfile: false },
    { files: ['package.json'], nodejs: true, python: false, procfile: false },
    { files: ['package.json', 'Procfile'], nodejs: true, python: false, procfile: true },
    { files: ['requirements.txt'], nodejs: false, python: true, procfile: false },
    { files: ['setup.py'], nodejs: false, python: true, procfile: false },
    { files: ['pyproject.toml'], nodejs: false, python: true, procfile: false },
    { files: ['Pipfile'], nodejs: false, python: true, procfile: false },
    { files: ['runtime.txt'], nodejs: false, python: true, procfile: false },
    { files: ['requirements.txt', 'Procfile'], nodejs: false, python: true, procfile: true },
    { files: ['Procfile'], nodejs: false, python: false, procfile: true },
    { files: ['package.json', 'requirements.txt'], nodejs: true, python: true, procfile: false },
  ];
  const printed: Record<BuildpackName, string> = { nodejs: 'Node.js', python: 'Python', procfile: 'Procfile' };
  const bps = Object.fromEntries(BUILDPACK_NAMES.map((n) => [n, sb.buildpack(n)])) as Record<BuildpackName, string>;

  matrix.forEach((row, i) => {
    test(`app with [${row.files.join(', ') || 'nothing'}]`, () => {
      const app = sb.dir(`detect-${i}`);
      for (const f of row.files) writeFileSync(join(app, f), f === 'package.json' ? '{}' : '');
      for (const name of BUILDPACK_NAMES) {
        const r = detect(bps[name], app, env);
        if (row[name]) {
          assert.equal(r.code, 0, `${name} should detect [${row.files}]`);
          assert.equal(r.stdout, `${printed[name]}\n`);
        } else {
          assert.notEqual(r.code, 0, `${name} should not detect [${row.files}]`);
          assert.equal(r.stdout, '');
        }
      }
    });
  });

  test('a directory named package.json does not count', () => {
    const app = sb.dir('detect-dir');
    sb.dir('detect-dir/package.json');
    assert.notEqual(detect(bps.nodejs, app, env).code, 0);
  });
});

describe('bin/release', () => {
  const app = sb.dir('release-app');
  test('nodejs: web defaults to npm start', () => {
    const r = release(sb.buildpack('nodejs'), app, env);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '---\naddons: []\ndefault_process_types:\n  web: npm start\n');
    assert.deepEqual(YAML.parse(r.stdout), { addons: [], default_process_types: { web: 'npm start' } });
  });
  for (const name of ['python', 'procfile'] as const) {
    test(`${name}: no default process types (the Procfile declares them)`, () => {
      const r = release(sb.buildpack(name), app, env);
      assert.equal(r.code, 0);
      assert.deepEqual(YAML.parse(r.stdout), { addons: [], default_process_types: {} });
      assert.match(r.stdout, /^---\n/);
    });
  }
});

describe('procfile bin/compile', () => {
  test('has nothing to build and says so', async () => {
    const app = sb.dir('procfile-app');
    writeFileSync(join(app, 'Procfile'), 'web: ./server --port $PORT\nworker: ./work\n');
    const before = readFileSync(join(app, 'Procfile'), 'utf8');
    const r = await compile(sb.buildpack('procfile'), app, sb.dir('procfile-cache'), sb.dir('procfile-env'), env);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /^-----> Nothing to build/m);
    assert.equal(readFileSync(join(app, 'Procfile'), 'utf8'), before);
  });
});
