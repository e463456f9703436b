// Issue #9, disks filled on purpose: an app's build writing past its build cache quota fails cleanly;
// a build leaving a sparse file of terabytes for the slug pack is stopped at the build's deadline;
// with too little free disk (the threshold set above what the machine has) a push is refused with a
// message saying so; a destroyed app's build cache goes. Another app serves throughout.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

const QUOTA_MB = 32;

/** Does what the app's `build.sh` says in the build (as an app's postinstall could), then ships the app. */
const COMPILE = `#!/usr/bin/env bash
set -euo pipefail
echo "cache holds: $(ls "$2" | tr '\\n' ' ')"
if [ -f "$1/build.sh" ]; then bash "$1/build.sh" "$1" "$2"; fi
echo "build done"
`;

describe('security: disks filled on purpose', () => {
  const p = new TestPlatform();
  let work: string;

  const deploy = async (app: string, token: string, build?: string) => {
    const dir = join(work, app);
    await makeRepo(dir, { ...appFiles(token), 'build.sh': build ?? 'true\n' }, token);
    return p.push(dir, app);
  };
  const serves = async () => {
    assert.equal((await p.request('GET', '/apps')).status, 200, 'the API answers');
    await p.waitFor('steady', 'steady-v1', '/', 60);
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-disks-'));
    const buildpack = join(work, 'buildpack');
    await mkdir(join(buildpack, 'bin'), { recursive: true });
    await writeFile(join(buildpack, 'bin', 'detect'), '#!/bin/sh\necho Test\n');
    await writeFile(join(buildpack, 'bin', 'compile'), COMPILE);
    for (const f of ['detect', 'compile']) await chmod(join(buildpack, 'bin', f), 0o755);
    // The unpack limit would refuse the terabyte before the pack starts (security-archives tests that):
    // raised here, so the pack itself meets the sparse file and the deadline is what stops it.
    await p.start({ SLIPWAY_BUILD_CACHE_QUOTA: String(QUOTA_MB), SLIPWAY_BUILD_TIMEOUT: '90', SLIPWAY_STOP_GRACE: '2', SLIPWAY_LOCAL_BUILDPACKS: work, SLIPWAY_UNPACK_MAX_BYTES: String(4 * 1024 ** 4) });
    for (const name of ['steady', 'filler', 'sparse']) {
      assert.equal((await p.request('POST', '/apps', { name })).status, 201);
      assert.equal((await p.request('PUT', `/apps/${name}/buildpack-installations`, { updates: [{ buildpack }] })).status, 200);
    }
    const r = await deploy('steady', 'steady-v1');
    assert.equal(r.code, 0, r.output);
    await p.waitFor('steady', 'steady-v1');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('a build writing past its cache quota fails cleanly; within it, the cache is kept', async () => {
    const within = await deploy('filler', 'filler-v1', 'dd if=/dev/zero of="$2/kept" bs=1M count=8 status=none\n');
    assert.equal(within.code, 0, within.output);
    const next = await deploy('filler', 'filler-v2');
    assert.match(next.output, /cache holds: kept/, 'what a build cached is there for the next one');
    const over = await deploy('filler', 'filler-v3', `dd if=/dev/zero of="$2/more" bs=1M count=${QUOTA_MB + 16} status=none\n`);
    assert.notEqual(over.code, 0, 'the push is declined');
    assert.match(over.output, /No space left on device/);
    assert.match(over.output, /failed to compile/);
    assert.doesNotMatch(over.output, /build done/);
    await p.waitFor('filler', 'filler-v2');
    await serves();
  });

  test('a sparse file of a terabyte left for the slug pack is stopped at the build deadline', async () => {
    const r = await deploy('sparse', 'sparse-v1', 'truncate -s 1T "$1/huge"\n');
    assert.notEqual(r.code, 0, 'the push is declined');
    assert.match(r.output, /Timed out compressing the slug \(the build timeout is 90 s\)/);
    assert.equal(existsSync(join(p.dataDir, 'builds')) ? (await import('node:fs')).readdirSync(join(p.dataDir, 'builds')).length : 0, 0, 'nothing of the build is left');
    await serves();
  });

  test('a destroyed app leaves no build cache behind', async () => {
    const filler = (await p.request('GET', '/apps/filler')).body as { id: string };
    const image = join(p.dataDir, 'cache', `${filler.id}.img`);
    assert.ok(existsSync(image), 'the app has a build cache image');
    assert.equal((await p.request('DELETE', '/apps/filler')).status, 200);
    // Housekeeping runs after releases and at start.
    await p.restart();
    for (let i = 0; i < 60 && existsSync(image); i++) await sleep(500);
    assert.equal(existsSync(image), false);
    assert.match(p.output, /removed the build caches of 1 destroyed app/);
  });

  test('with the data disk below the threshold, a push is refused saying so', async () => {
    await p.restart({ SLIPWAY_BUILD_MIN_FREE_DISK: String(1024 * 1024 * 1024) });
    const r = await deploy('steady', 'steady-v2');
    assert.notEqual(r.code, 0, 'the push is declined');
    assert.match(r.output, /The platform's disk is nearly full \(.* free; builds need .*, SLIPWAY_BUILD_MIN_FREE_DISK\), so this build was not started/);
    await serves();
  });
});
