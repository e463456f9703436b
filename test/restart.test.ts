// The platform can be killed at any moment: started again on the same data dir, it cleans up the
// containers the dead process left and converges to the formation of the current release.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeRepo, ROOT, TestPlatform } from './helpers/platform.ts';

describe('platform restart', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-restart-'));
    await p.start();
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('after a SIGKILL the next start removes orphaned dynos and runs the app again', async () => {
    await p.request('POST', '/apps', { name: 'survivor' });
    const dir = join(work, 'survivor');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'python-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'survivor');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('survivor', 'python-app says hello');
    const before = await p.containers();
    assert.equal(before.length, 1);

    await p.crashAndRestart();
    await p.waitFor('survivor', 'python-app says hello');
    const after = await p.containers();
    assert.equal(after.length, 1, `one web dyno after the restart, found ${after.join(', ')}`);
    assert.notEqual(after[0], before[0], 'the orphaned container was replaced, not adopted half-known');
    assert.equal((await p.request('GET', '/apps/survivor/releases')).body.length, 1, 'no release was lost or added');
  });

  test('a stopped platform leaves no container and no mount behind', async () => {
    await p.stop();
    assert.deepEqual(await p.containers(), []);
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!mounts.includes(p.dataDir), 'no mount under the data dir remains');
  });
});
