// The seed's other languages end to end, as a user meets them: a fixture app per language pushed to a
// running platform, built by its built-in buildpack with the runtime from Debian's packages, answering
// through the router; a second push reusing the build cache; a broken app rejected with nothing released.
// All of it works without rubygems.org, Maven Central or Clojars: only Debian's archive is used.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeRepo, ROOT, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

const FIXTURES = join(ROOT, 'test', 'fixtures', 'apps');

/** Asserts the patterns appear in this order in `out`. */
function inOrder(out: string, patterns: RegExp[]): void {
  let at = 0;
  for (const re of patterns) {
    const m = re.exec(out.slice(at));
    assert.ok(m, `push output lacks ${re} after position ${at}:\n${out}`);
    at += m.index + m[0].length;
  }
}

describe('languages', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-languages-'));
    await p.start({ SLIPWAY_BUILD_TIMEOUT: '600' });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** Creates the app, copies the fixture into a repo and pushes it. */
  async function pushFixture(app: string, fixture: string): Promise<{ dir: string; code: number; output: string }> {
    assert.equal((await p.request('POST', '/apps', { name: app })).status, 201);
    const dir = join(work, app);
    await cp(join(FIXTURES, fixture), dir, { recursive: true });
    await makeRepo(dir, {});
    return { dir, ...(await p.push(dir, app)) };
  }

  /** Pushes a commit that changes nothing the build uses: the rebuild should come from the caches. */
  async function pushAgain(app: string, dir: string): Promise<{ code: number; output: string }> {
    assert.ok(dir, `${app} was not pushed a first time`);
    await writeFile(join(dir, 'NOTES.txt'), 'second push\n');
    await makeRepo(dir, {}, 'second push');
    return p.push(dir, app);
  }

  async function releaseCount(app: string): Promise<number> {
    return (await p.request('GET', `/apps/${app}/releases`)).body.length;
  }

  describe('ruby', () => {
    let dir = '';
    test('a Rack app on WEBrick deploys with Debian\'s Ruby and answers through the router', async () => {
      const push = await pushFixture('ruby-app', 'ruby-app');
      dir = push.dir;
      assert.equal(push.code, 0, push.output);
      inOrder(push.output, [
        /remote: -----> Ruby app detected/,
        /remote: -----> Installing Ruby from Debian's packages/,
        /remote:        Gems from Debian's packages: rack webrick/,
        /remote:        Using Ruby version: ruby-3\.1\.\d+ \(Debian 12\)/,
        /remote: -----> Installing dependencies using bundler 2\.3\.15/,
        /remote:        Installing greeting 1\.0\.0/,
        /remote:        Gems in the groups 'development' and 'test' were not installed\./,
        /remote:        Default types for buildpack -> console, rake, web/,
        /remote:        Released v1/,
      ]);
      assert.match(await p.waitFor('ruby-app', 'ruby-app says hello from ruby 3.1', '/', 120), /ruby 3\.1\.\d+/);
      assert.equal((await p.route('ruby-app', '/env')).body, 'production production\n', 'RACK_ENV and RAILS_ENV default to production');
      assert.equal((await p.route('ruby-app', '/greeting')).body, 'hello from the vendored greeting gem, compiled at build time\n', 'a gem with a C extension builds and loads');
      const dynos = (await p.request('GET', '/apps/ruby-app/dynos')).body;
      assert.equal(dynos[0].command, 'bundle exec rackup config.ru -p ${PORT:-5000}');
    });

    test('a second push reuses the Ruby and the gems of the first', async () => {
      const push = await pushAgain('ruby-app', dir);
      assert.equal(push.code, 0, push.output);
      assert.match(push.output, /remote:        Using cached ruby \(\d+ Debian packages\)/);
      assert.match(push.output, /remote:        Reusing installed gems from the build cache \(1 gems\)/);
      assert.match(push.output, /remote:        Using greeting 1\.0\.0/);
      assert.doesNotMatch(push.output, /Installing greeting/);
      await p.waitFor('ruby-app', 'ruby-app says hello');
      assert.equal(await releaseCount('ruby-app'), 2);
    });

    test('a Rails app from Debian\'s Rails 6.1 gems builds offline, precompiles its assets and runs bin/rails server', async () => {
      const push = await pushFixture('rails-app', 'rails-app');
      assert.equal(push.code, 0, push.output);
      inOrder(push.output, [
        /remote: -----> Ruby app detected/,
        /remote:        Gems from Debian's packages: actionpack actionview activesupport .*railties/,
        /remote:        Using railties 6\.1\.\d+/,
        /remote: -----> Preparing app for Rails asset pipeline/,
        /remote:        Running: rake assets:precompile/,
        /remote:        Default types for buildpack -> console, rake, web/,
        /remote:        Released v1/,
      ]);
      assert.doesNotMatch(push.output, /bundler fetches the rest/, 'every gem was found without the network');
      const body = await p.waitFor('rails-app', 'rails-app says hello', '/', 120);
      assert.match(body, /^rails-app says hello from rails 6\.1\.\d+\.?\d* in production; assets: precompiled in production$/m);
      const dynos = (await p.request('GET', '/apps/rails-app/dynos')).body;
      assert.equal(dynos[0].command, 'bin/rails server -p ${PORT:-5000} -e $RAILS_ENV');
    });

    test('a Gemfile asking for a Ruby Debian does not have is refused, naming both versions', async () => {
      const bad = join(work, 'ruby-bad');
      await cp(join(FIXTURES, 'ruby-app'), bad, { recursive: true });
      const gemfile = await readFile(join(bad, 'Gemfile'), 'utf8');
      await writeFile(join(bad, 'Gemfile'), gemfile.replace('ruby "~> 3.1"', 'ruby "3.3.0"'));
      await makeRepo(bad, {});
      assert.equal((await p.request('POST', '/apps', { name: 'ruby-bad' })).status, 201);
      const push = await p.push(bad, 'ruby-bad');
      assert.notEqual(push.code, 0);
      assert.match(push.output, /remote:  ! {5}Your Gemfile asks for Ruby 3\.3\.0, but this platform has Ruby 3\.1\.\d+ \(Debian 12's ruby3\.1 package\) and no other\./);
      assert.match(push.output, /remote:  ! {5}Push rejected, failed to compile Ruby app\./);

      // No Gemfile.lock: refused as on Heroku, before anything is installed.
      await rm(join(bad, 'Gemfile.lock'));
      await makeRepo(bad, {}, 'no lockfile');
      const nolock = await p.push(bad, 'ruby-bad');
      assert.notEqual(nolock.code, 0);
      assert.match(nolock.output, /remote:  ! {5}Gemfile\.lock required\. Please check it in\./);
      assert.doesNotMatch(nolock.output, /Installing Ruby/);

      // A lockfile naming a gem that neither Debian, vendor/cache nor a reachable rubygems.org has.
      await writeFile(join(bad, 'Gemfile'), 'source "https://rubygems.org"\ngem "rack"\ngem "no-such-gem-anywhere"\n');
      await writeFile(join(bad, 'Gemfile.lock'), [
        'GEM', '  remote: https://rubygems.org/', '  specs:', '    no-such-gem-anywhere (1.2.3)', '    rack (2.2.22)', '',
        'PLATFORMS', '  x86_64-linux', '', 'DEPENDENCIES', '  no-such-gem-anywhere', '  rack', '', 'BUNDLED WITH', '   2.3.15', '',
      ].join('\n'));
      await makeRepo(bad, {}, 'unresolvable gem');
      const unresolved = await p.push(bad, 'ruby-bad');
      assert.notEqual(unresolved.code, 0);
      assert.match(unresolved.output, /no-such-gem-anywhere/, "bundler's own error is shown");
      assert.match(unresolved.output, /remote:  ! {5}Failed to install gems via Bundler\./);
      assert.equal(await releaseCount('ruby-bad'), 0);
    });
  });

  describe('two languages', () => {
    test('a Rack app with a package.json is a Ruby app; with the buildpack list [nodejs, ruby] it gets both', async () => {
      const dir = join(work, 'ruby-node');
      await cp(join(FIXTURES, 'ruby-app'), dir, { recursive: true });
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'assets', version: '1.0.0', engines: { node: '20.x' } }));
      await writeFile(join(dir, 'config.ru'), 'run lambda { |env| [200, {}, ["ruby #{RUBY_VERSION} with node #{`node --version`}"]] }\n');
      await makeRepo(dir, {});
      assert.equal((await p.request('POST', '/apps', { name: 'ruby-node' })).status, 201);
      const detected = await p.push(dir, 'ruby-node');
      assert.equal(detected.code, 0, detected.output);
      assert.match(detected.output, /remote: -----> Ruby app detected/, "detection follows Heroku's order: Ruby before Node.js");
      assert.doesNotMatch(detected.output, /Installing binaries/);

      const set = await p.request('PUT', '/apps/ruby-node/buildpack-installations', { updates: [{ buildpack: 'heroku/nodejs' }, { buildpack: 'heroku/ruby' }] });
      assert.equal(set.status, 200);
      await writeFile(join(dir, 'NOTES.txt'), 'both buildpacks\n');
      await makeRepo(dir, {}, 'both buildpacks');
      const both = await p.push(dir, 'ruby-node');
      assert.equal(both.code, 0, both.output);
      inOrder(both.output, [
        /remote: -----> Using buildpacks:\n\s*remote:\s+1\. heroku\/nodejs\n\s*remote:\s+2\. heroku\/ruby/,
        /remote: -----> Ruby app detected/,
        /remote: -----> Installing binaries/,
        /remote: -----> Installing Ruby from Debian's packages/,
        /remote:        Default types for buildpack -> console, rake, web/,
        /remote:        Released v2/,
      ]);
      assert.match(await p.waitFor('ruby-node', 'with node v20.', '/', 120), /^ruby 3\.1\.\d+ with node v20\./);
    });
  });

  describe('java', () => {
    let dir = '';
    test('a Maven jar on the JDK\'s HTTP server deploys with Debian\'s OpenJDK 17, offline', async () => {
      const push = await pushFixture('java-app', 'java-app');
      dir = push.dir;
      assert.equal(push.code, 0, push.output);
      inOrder(push.output, [
        /remote: -----> Java app detected/,
        /remote: -----> Installing OpenJDK 17 and Maven from Debian's packages/,
        /remote:        system.properties asks for Java 17: Debian 12's OpenJDK 17/,
        /remote:        Installed OpenJDK 17\.\S+ \(Debian 12\) into the slug/,
        /remote: -----> Executing Maven/,
        /remote:        \$ mvn -B -DskipTests package/,
        /remote:        \[INFO\] Building jar: \S+\/target\/java-app-1\.0\.jar/,
        /remote:        \[INFO\] BUILD SUCCESS/,
        /remote:        Procfile declares types -> web/,
        /remote:        Released v1/,
      ]);
      await p.waitFor('java-app', 'java-app says hello from java 17', '/', 120);
      // The default dyno (standard-1X, 512 MB) gets Heroku's heap for that size.
      const opts = (await p.route('java-app', '/opts')).body;
      assert.match(opts, /^JAVA_OPTS=-Xmx300m -Xss512k -XX:CICompilerCount=2 -Dfile\.encoding=UTF-8$/m);
      const heap = Number(/maxMemoryMB=(\d+)/.exec(opts)?.[1]);
      assert.ok(heap > 250 && heap < 310, `the JVM's max heap is ${heap} MB`);
    });

    test('a second push reuses the JDK, its compressed copy and the Maven repository of the first', async () => {
      const push = await pushAgain('java-app', dir);
      assert.equal(push.code, 0, push.output);
      assert.match(push.output, /remote:        Using cached java \(\d+ Debian packages\)/);
      assert.doesNotMatch(push.output, /Downloading \d+ Debian packages/);
      assert.match(push.output, /remote:        Reusing the Maven repository from the build cache \(\d+ MB\)/);
      inOrder(push.output, [
        /remote: -----> Compressing\.\.\./,
        /remote:        Reused the compressed \.jdk of an earlier build \(unchanged, \d+\.\dM\)/,
        /remote:        Done: \d+\.\dM/,
      ]);
      await p.waitFor('java-app', 'java-app says hello');
      assert.equal(await releaseCount('java-app'), 2);
    });

    test('the slug with a reused JDK is one tar.gz: its checksum is of its bytes, plain tar extracts all of it, and its java runs', async () => {
      const releases = (await p.request('GET', '/apps/java-app/releases')).body as { version: number; slug: { id: string } }[];
      const slug = (await p.request('GET', `/apps/java-app/slugs/${releases.find((r) => r.version === 2)!.slug.id}`)).body;
      const bytes = Buffer.from(await (await fetch(slug.blob.url)).arrayBuffer());
      assert.equal(slug.checksum, `SHA256:${createHash('sha256').update(bytes).digest('hex')}`);
      assert.equal(slug.size, bytes.length);
      const file = join(work, 'java-app-v2.tgz');
      await writeFile(file, bytes);
      const listed = (await run('tar', ['-tzf', file], { maxBuffer: 64 << 20 })).stdout.trim().split('\n');
      assert.equal(new Set(listed).size, listed.length, 'no entry twice');
      for (const entry of ['./Procfile', './target/java-app-1.0.jar', './.jdk/bin/java', './.jdk/lib/modules', './.profile.d/jvm.sh']) {
        assert.ok(listed.includes(entry), `the slug lists ${entry}`);
      }
      const unpacked = join(work, 'java-app-v2');
      await mkdir(unpacked);
      await run('tar', ['-xzf', file, '-C', unpacked]);
      const { stdout } = await run('find', [unpacked, '-mindepth', '1', '-printf', '%P\n'], { maxBuffer: 64 << 20 });
      const names = listed.map((e) => e.replace(/^\.\//, '').replace(/\/$/, '')).filter(Boolean);
      assert.deepEqual(stdout.trim().split('\n').sort(), names.sort(), 'every entry extracted');
      const version = await run(join(unpacked, '.jdk', 'bin', 'java'), ['-version']);
      assert.match(version.stderr, /openjdk version "17\./);
    });

    test('a standard-2X dyno gets the heap Heroku gives that size', async () => {
      const r = await p.request('PATCH', '/apps/java-app/formation', { updates: [{ type: 'web', size: 'standard-2x' }] });
      assert.equal(r.status, 200);
      const deadline = Date.now() + 120_000;
      let opts = '';
      while (Date.now() < deadline && !opts.includes('-Xmx671m')) {
        opts = await p.route('java-app', '/opts').then((x) => x.body, () => '');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.match(opts, /^JAVA_OPTS=-Xmx671m -XX:CICompilerCount=2 -Dfile\.encoding=UTF-8$/m);
      const heap = Number(/maxMemoryMB=(\d+)/.exec(opts)?.[1]);
      assert.ok(heap > 600 && heap < 700, `the JVM's max heap is ${heap} MB`);
    });

    test('a Java version Debian does not have, or code that does not compile, is refused', async () => {
      const bad = join(work, 'java-bad');
      await cp(join(FIXTURES, 'java-app'), bad, { recursive: true });
      await writeFile(join(bad, 'system.properties'), 'java.runtime.version=21\n');
      await makeRepo(bad, {});
      assert.equal((await p.request('POST', '/apps', { name: 'java-bad' })).status, 201);
      const push = await p.push(bad, 'java-bad');
      assert.notEqual(push.code, 0);
      assert.match(push.output, /remote:  ! {5}Unsupported Java version: 21/);
      assert.match(push.output, /remote:  ! {5}Push rejected, failed to compile Java app\./);

      await writeFile(join(bad, 'system.properties'), 'java.runtime.version=17\n');
      const main = join(bad, 'src', 'main', 'java', 'hello', 'Main.java');
      await writeFile(main, (await readFile(main, 'utf8')).replace('server.start();', 'server.start()'));
      await makeRepo(bad, {}, 'a syntax error');
      const broken = await p.push(bad, 'java-bad');
      assert.notEqual(broken.code, 0);
      assert.match(broken.output, /\[ERROR\] \S*Main\.java:\[\d+,\d+\] ';' expected/, "javac's own error is shown");
      assert.match(broken.output, /remote:  ! {5}Failed to build app with Maven \(its output is above\)\./);
      assert.equal(await releaseCount('java-bad'), 0);
    });
  });

  describe('clojure', () => {
    let dir = '';
    test('a Leiningen uberjar deploys with Debian\'s Leiningen and Clojure, offline, and runs as the default web process', async () => {
      const push = await pushFixture('clojure-app', 'clojure-app');
      dir = push.dir;
      assert.equal(push.code, 0, push.output);
      inOrder(push.output, [
        /remote: -----> Clojure \(Leiningen 2\) app detected/,
        /remote: -----> Installing OpenJDK 17 and Leiningen from Debian's packages/,
        /remote:        Installed OpenJDK 17\.\S+ \(Debian 12\) into the slug/,
        /remote: -----> Building with Leiningen/,
        /remote:        Running: lein uberjar \(Leiningen 2\.10\.0\)/,
        /remote:        Retrieving org\/clojure\/clojure\/1\.11\.1\/clojure-1\.11\.1\.jar from debian/,
        /remote:        Created \S+\/target\/clojure-app-1\.0\.0-standalone\.jar/,
        /remote:        Procfile declares types {5}-> \(none\)/,
        /remote:        Default types for buildpack -> web/,
        /remote:        Released v1/,
      ]);
      await p.waitFor('clojure-app', 'clojure-app says hello from clojure 1.11.1', '/', 120);
      assert.equal((await p.route('clojure-app', '/opts')).body, 'JVM_OPTS=-Xmx300m -Xss512k -XX:CICompilerCount=2 -Dfile.encoding=UTF-8\n');
      const dynos = (await p.request('GET', '/apps/clojure-app/dynos')).body;
      assert.equal(dynos[0].command, 'java $JVM_OPTS -jar target/*-standalone.jar');
    });

    test('a second push reuses the JDK, its compressed copy, Leiningen and the Maven repository of the first', async () => {
      const push = await pushAgain('clojure-app', dir);
      assert.equal(push.code, 0, push.output);
      assert.match(push.output, /remote:        Using cached clojure \(\d+ Debian packages\)/);
      assert.match(push.output, /remote:        Reusing the Maven repository from the build cache \(\d+ MB\)/);
      assert.doesNotMatch(push.output, /Retrieving org\/clojure/);
      assert.match(push.output, /remote:        Reused the compressed \.jdk of an earlier build \(unchanged, \d+\.\dM\)/);
      await p.waitFor('clojure-app', 'clojure-app says hello');
      assert.equal(await releaseCount('clojure-app'), 2);
    });

    test('a dependency nobody offline has is refused with Leiningen\'s own error', async () => {
      const bad = join(work, 'clojure-bad');
      await cp(join(FIXTURES, 'clojure-app'), bad, { recursive: true });
      const project = await readFile(join(bad, 'project.clj'), 'utf8');
      await writeFile(join(bad, 'project.clj'), project.replace('[[org.clojure/clojure "1.11.1"]]', '[[org.clojure/clojure "1.11.1"] [ring/ring-core "1.9.6"]]'));
      await makeRepo(bad, {});
      assert.equal((await p.request('POST', '/apps', { name: 'clojure-bad' })).status, 201);
      const push = await p.push(bad, 'clojure-bad');
      assert.notEqual(push.code, 0);
      assert.match(push.output, /Could not find artifact ring:ring-core:jar:1\.9\.6/, "Leiningen's own error is shown");
      assert.match(push.output, /remote:  ! {5}Failed to build the app with Leiningen \(its output is above\)\./);
      assert.match(push.output, /remote:  ! {5}Push rejected, failed to compile Clojure \(Leiningen 2\) app\./);
      assert.equal(await releaseCount('clojure-bad'), 0);
    });
  });

  describe('scala', () => {
    let dir = '';
    test('an sbt app deploys offline: Debian\'s scalac stages target/universal/stage as sbt-native-packager would', async () => {
      const push = await pushFixture('scala-app', 'scala-app');
      dir = push.dir;
      assert.equal(push.code, 0, push.output);
      inOrder(push.output, [
        /remote: -----> Scala app detected/,
        /remote: -----> Installing OpenJDK 17 and Scala from Debian's packages/,
        /remote: -----> Compiling with Debian's scalac 2\.11\.12 \(sbt is not packaged by Debian and Maven Central is not reachable\)/,
        /remote:        Compiling 2 source files/,
        /remote:        Staged target\/universal\/stage\/bin\/scala-app \(main class hello\.Main\)/,
        /remote:        Procfile declares types -> web/,
        /remote:        Released v1/,
      ]);
      await p.waitFor('scala-app', 'scala-app says hello from scala 2.11.12', '/', 120);
      assert.match((await p.route('scala-app', '/opts')).body, /^JAVA_OPTS=-Xmx300m /);
    });

    test('a second push reuses the JDK, Scala and the compiled classes of the first', async () => {
      const push = await pushAgain('scala-app', dir);
      assert.equal(push.code, 0, push.output);
      assert.match(push.output, /remote:        Using cached scala \(\d+ Debian packages\)/);
      assert.match(push.output, /remote:        Reusing compiled classes from the build cache \(sources unchanged\)/);
      assert.doesNotMatch(push.output, /Compiling 2 source files/);
      await p.waitFor('scala-app', 'scala-app says hello');
      assert.equal(await releaseCount('scala-app'), 2);
    });

    test('code that does not compile, or library dependencies offline, is refused', async () => {
      const bad = join(work, 'scala-bad');
      await cp(join(FIXTURES, 'scala-app'), bad, { recursive: true });
      const greeting = join(bad, 'src', 'main', 'scala', 'hello', 'Greeting.scala');
      await writeFile(greeting, (await readFile(greeting, 'utf8')).replace('def text: String =', 'def text: Int ='));
      await makeRepo(bad, {});
      assert.equal((await p.request('POST', '/apps', { name: 'scala-bad' })).status, 201);
      const push = await p.push(bad, 'scala-bad');
      assert.notEqual(push.code, 0);
      assert.match(push.output, /Greeting\.scala:4: error: type mismatch/, "scalac's own error is shown");
      assert.match(push.output, /remote:  ! {5}Failed to compile the app with scalac \(its errors are above\)\./);

      await cp(join(FIXTURES, 'scala-app', 'src'), join(bad, 'src'), { recursive: true });
      const sbt = await readFile(join(bad, 'build.sbt'), 'utf8');
      await writeFile(join(bad, 'build.sbt'), `${sbt}\nlibraryDependencies += "com.lihaoyi" %% "upickle" % "3.1.0"\n`);
      await makeRepo(bad, {}, 'a library dependency');
      const deps = await p.push(bad, 'scala-bad');
      assert.notEqual(deps.code, 0);
      assert.match(deps.output, /remote:  ! {5}build\.sbt declares libraryDependencies, which need sbt and Maven Central, and neither is available\./);
      assert.equal(await releaseCount('scala-bad'), 0);
    });
  });
});
