// bin/detect and bin/release of the Ruby, Java, Clojure and Scala buildpacks (their bin/compile needs
// the stack and Debian's archive: test/languages.test.ts builds and deploys a fixture app with each).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import YAML from 'yaml';
import { BUILDPACKS_DIR, Sandbox, compile, detect, release } from '../helpers/buildpacks.ts';

const sb = new Sandbox();
after(() => sb.cleanup());
const env = sb.env();

const LANGUAGES = ['ruby', 'java', 'clojure', 'scala'] as const;
type Language = (typeof LANGUAGES)[number];
const PRINTED: Record<Language, string> = { ruby: 'Ruby', java: 'Java', clojure: 'Clojure (Leiningen 2)', scala: 'Scala' };
const JVM_LANGUAGES = LANGUAGES.filter((l) => l !== 'ruby');

function app(name: string, files: Record<string, string>): string {
  const dir = sb.dir(name);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), content);
  }
  return dir;
}

function processTypes(bp: string, dir: string): Record<string, string> {
  const r = release(bp, dir, env);
  assert.equal(r.code, 0);
  const doc = YAML.parse(r.stdout) as { default_process_types: Record<string, string> | null };
  return doc.default_process_types ?? {};
}

describe('buildpack folders', () => {
  for (const name of LANGUAGES) {
    test(`${name} has executable bash bin/detect, bin/compile, bin/release`, () => {
      for (const script of ['detect', 'compile', 'release']) {
        const p = join(BUILDPACKS_DIR, name, 'bin', script);
        accessSync(p, constants.X_OK);
        assert.ok(statSync(p).isFile());
        assert.match(readFileSync(p, 'utf8').split('\n')[0]!, /^#!\/usr\/bin\/env bash$/);
      }
    });
  }

  test('each copy of lib/debian.sh and lib/output.sh is the same file', () => {
    for (const lib of ['debian.sh', 'output.sh']) {
      const copies = LANGUAGES.map((n) => join(BUILDPACKS_DIR, n, 'lib', lib)).filter((p) => existsSync(p));
      assert.equal(copies.length, LANGUAGES.length, `every language buildpack has lib/${lib}`);
      for (const p of copies) assert.equal(readFileSync(p, 'utf8'), readFileSync(copies[0]!, 'utf8'), `${p} differs from ${copies[0]}`);
    }
  });

  test('each JVM buildpack has the same lib/jvm.sh and lib/CaCerts.java', () => {
    for (const lib of ['jvm.sh', 'CaCerts.java']) {
      const copies = JVM_LANGUAGES.map((n) => join(BUILDPACKS_DIR, n, 'lib', lib));
      for (const p of copies) assert.equal(readFileSync(p, 'utf8'), readFileSync(copies[0]!, 'utf8'), `${p} differs from ${copies[0]}`);
    }
  });
});

describe('bin/detect', () => {
  const bps = Object.fromEntries(LANGUAGES.map((n) => [n, sb.buildpack(n)])) as Record<Language, string>;
  const matrix: { files: string[]; yes: Language[] }[] = [
    { files: [], yes: [] },
    { files: ['package.json', 'requirements.txt', 'Procfile'], yes: [] },
    { files: ['Gemfile'], yes: ['ruby'] },
    { files: ['Gemfile', 'package.json'], yes: ['ruby'] },
    { files: ['Gemfile.lock'], yes: [] },
    { files: ['pom.xml'], yes: ['java'] },
    { files: ['pom.xml', 'Procfile', 'system.properties'], yes: ['java'] },
    { files: ['system.properties'], yes: [] },
    { files: ['build.gradle'], yes: ['java'] },
    { files: ['gradlew', 'settings.gradle.kts'], yes: ['java'] },
    { files: ['project.clj'], yes: ['clojure'] },
    { files: ['project.clj', 'pom.xml'], yes: ['clojure', 'java'] },
    { files: ['build.sbt'], yes: ['scala'] },
    { files: ['project/build.properties'], yes: ['scala'] },
    { files: ['project/Build.scala'], yes: ['scala'] },
    { files: ['src/main/scala/Main.scala'], yes: [] },
  ];
  matrix.forEach((row, i) => {
    test(`app with [${row.files.join(', ') || 'nothing'}]`, () => {
      const dir = app(`detect-${i}`, Object.fromEntries(row.files.map((f) => [f, ''])));
      for (const name of LANGUAGES) {
        const r = detect(bps[name], dir, env);
        if (row.yes.includes(name)) {
          assert.equal(r.code, 0, `${name} should detect [${row.files}]`);
          const gradle = name === 'java' && !row.files.includes('pom.xml');
          assert.equal(r.stdout, `${gradle ? 'Gradle' : PRINTED[name]}\n`);
        } else {
          assert.notEqual(r.code, 0, `${name} should not detect [${row.files}]`);
          assert.equal(r.stdout, '');
        }
      }
    });
  });
});

describe('ruby bin/release', () => {
  const bp = sb.buildpack('ruby');
  const lock = (gems: string[]) => `GEM\n  remote: https://rubygems.org/\n  specs:\n${gems.map((g) => `    ${g}\n`).join('')}\n`;

  test('a Rack app (config.ru) gets rackup on $PORT, plus rake and console', () => {
    const dir = app('rel-rack', { Gemfile: '', 'Gemfile.lock': lock(['rack (2.2.22)']), 'config.ru': '' });
    assert.deepEqual(processTypes(bp, dir), {
      web: 'bundle exec rackup config.ru -p ${PORT:-5000}', console: 'bundle exec irb', rake: 'bundle exec rake',
    });
  });

  test('a Rails app (railties in Gemfile.lock) gets bin/rails server in $RAILS_ENV', () => {
    const dir = app('rel-rails', { Gemfile: '', 'Gemfile.lock': lock(['rack (2.2.22)', 'railties (6.1.7)']), 'config.ru': '' });
    assert.deepEqual(processTypes(bp, dir), {
      web: 'bin/rails server -p ${PORT:-5000} -e $RAILS_ENV', console: 'bin/rails console', rake: 'bundle exec rake',
    });
  });

  test('a plain Ruby app gets no web process (the Procfile names it)', () => {
    const dir = app('rel-plain', { Gemfile: '', 'Gemfile.lock': lock(['rake (13.0.6)']) });
    assert.deepEqual(processTypes(bp, dir), { console: 'bundle exec irb', rake: 'bundle exec rake' });
  });
});

describe('java and scala bin/release', () => {
  test('no default process types: the web process comes from the Procfile, as on Heroku', () => {
    assert.deepEqual(processTypes(sb.buildpack('java'), app('rel-java', { 'pom.xml': '<project/>' })), {});
    assert.deepEqual(processTypes(sb.buildpack('scala'), app('rel-scala', { 'build.sbt': 'name := "a"' })), {});
  });
});

describe('clojure bin/release', () => {
  const bp = sb.buildpack('clojure');
  test('a project with a :main runs its standalone uberjar', () => {
    const dir = app('rel-clj-main', { 'project.clj': '(defproject a "1.0.0"\n  :main a.core\n  :aot [a.core])\n' });
    assert.deepEqual(processTypes(bp, dir), { web: 'java $JVM_OPTS -jar target/*-standalone.jar' });
  });
  test('a project without :main (or with it only in a comment) gets none', () => {
    const dir = app('rel-clj-lib', { 'project.clj': '(defproject a "1.0.0"\n  ;; :main a.core\n  :dependencies [])\n' });
    assert.deepEqual(processTypes(bp, dir), {});
  });
});

describe('java bin/compile', () => {
  test('a Gradle project is refused at once, saying why and what to do', async () => {
    const dir = app('gradle-app', { 'build.gradle': "plugins { id 'java' }\n", gradlew: '' });
    const r = await compile(sb.buildpack('java'), dir, sb.dir('gradle-cache'), sb.dir('gradle-env'), env, 30_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ ! {5}Gradle builds are not supported: this app has no pom\.xml\.$/m);
    assert.match(r.stderr, /^ ! {5}Debian 12's gradle \(4\.4\.1\) cannot run on Java 17/m);
    assert.equal(r.stdout, '', 'nothing was installed');
  });
});

describe('ruby lib/gems.sh', () => {
  test('a Debian package version names the gem version it packages', () => {
    const cases: [string, string][] = [
      ['2.2.22-0+deb12u2', '2.2.22'], ['1.8.1-1', '1.8.1'], ['2:6.1.7.3+dfsg-1~deb12u1', '6.1.7.3'],
      ['1.13.10+dfsg-2', '1.13.10'], ['3.1.0+ds-1', '3.1.0'], ['0.3.2-2', '0.3.2'], ['5.6.5-3', '5.6.5'],
    ];
    for (const [debian, gem] of cases) {
      const r = spawnSync('bash', ['-c', `source "${join(BUILDPACKS_DIR, 'ruby', 'lib', 'gems.sh')}"; gem_version_of_debian "$1"`, 'bash', debian], { encoding: 'utf8' });
      assert.equal(r.stdout, `${gem}\n`, debian);
    }
  });
});
