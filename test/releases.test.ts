// Releases, config vars and the release phase end to end, through the slipway CLI and the API against a
// real platform: config changes reach the dynos as releases, values are encrypted at rest, rollback
// restores the old answer and environment, a failing release phase keeps the old version serving,
// concurrent config:set calls lose nothing, and a SIGKILL during a release leaves a consistent ledger.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

describe('releases and config vars', () => {
  const p = new TestPlatform();
  let work: string;
  let repo: string;
  const cli = (args: string[]) => p.cli([...args, '-a', 'rel']);
  const versions = async (app = 'rel') => (await p.request('GET', `/apps/${app}/releases`)).body.map((r: any) => [r.version, r.description, r.status]);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-releases-'));
    repo = join(work, 'rel');
    await p.start({ SLIPWAY_RELEASES_KEPT: '4', SLIPWAY_SLUG_GRACE: '0', SLIPWAY_RELEASE_TIMEOUT: '40' });
    assert.equal((await p.request('POST', '/apps', { name: 'rel' })).status, 201);
    await makeRepo(repo, appFiles('token-one'));
    const push = await p.push(repo, 'rel');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('rel', 'token-one');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('config:set takes values with =, spaces, newlines, unicode and empty; each change is a release the dynos get', async () => {
    const set = await cli(['config:set', 'A=1', 'B=two words', 'C=', 'D=x=y', 'E=line one\nline two', 'F=héllo ✓']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /Setting A, B, C, D, E, F and restarting rel\.\.\. done, v2/);
    assert.match(set.stdout, /^B:\s+two words$/m);
    await p.waitFor('rel', 'two words', '/env/B');
    for (const [k, v] of Object.entries({ A: '1', C: '', D: 'x=y', E: 'line one\nline two', F: 'héllo ✓' })) {
      assert.equal((await p.route('rel', `/env/${k}`)).body, v, k);
    }
    const json = JSON.parse((await cli(['config', '--json'])).stdout);
    assert.deepEqual(json, { A: '1', B: 'two words', C: '', D: 'x=y', E: 'line one\nline two', F: 'héllo ✓' });
    const shell = (await cli(['config', '--shell'])).stdout;
    assert.match(shell, /^B='two words'$/m);
    assert.match(shell, /^D=x=y$/m);
    const listed = (await cli(['config'])).stdout;
    assert.match(listed, /=== rel Config Vars/);
    assert.match(listed, /^F:\s+héllo ✓$/m);
    assert.equal((await cli(['config:get', 'D'])).stdout, 'x=y\n');
    assert.equal((await cli(['config:get', 'NOPE'])).stdout, '\n');

    const unset = await cli(['config:unset', 'A', 'C']);
    assert.equal(unset.code, 0, unset.stderr);
    assert.match(unset.stderr, /Unsetting A, C and restarting rel\.\.\. done, v3/);
    const add = await cli(['config:add', 'G=old spelling']);
    assert.match(add.stderr, /done, v4/);
    const remove = await cli(['config:remove', 'G']);
    assert.match(remove.stderr, /done, v5/);
    assert.deepEqual((await versions()).slice(1), [
      [2, 'Set A, B, C, D, E, F config vars', 'succeeded'],
      [3, 'Remove A, C config vars', 'succeeded'],
      [4, 'Set G config vars', 'succeeded'],
      [5, 'Remove G config vars', 'succeeded'],
    ]);
    await p.waitFor('rel', '<unset>', '/env/A');
    const logs = await p.logs('rel');
    assert.match(logs, /app\[api\]: Set A, B, C, D, E, F config vars by user operator@slipway\.local/);
    assert.match(logs, /app\[api\]: Release v3 created by user operator@slipway\.local/);
    assert.doesNotMatch(logs, /two words|héllo/, 'values never reach the logs');
  });

  test('bad names and the 32 KB limit are refused, naming the problem, and nothing is stored', async () => {
    const before = await versions();
    const badName = await cli(['config:set', 'BAD-NAME=x', 'OK=1']);
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /BAD-NAME.*invalid.*letters, digits and underscores/);
    const api = await p.request('PATCH', '/apps/rel/config-vars', { 'has space': 'x' });
    assert.equal(api.status, 422);
    assert.equal(api.body.id, 'invalid_params');
    assert.equal((await p.request('PATCH', '/apps/rel/config-vars', { N: 5 })).status, 422);
    const big = await cli(['config:set', `BIG=${'x'.repeat(33 * 1024)}`]);
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /32 KB/);
    assert.deepEqual(await versions(), before, 'no release was made');
    assert.equal((await cli(['config:get', 'OK'])).stdout, '\n', 'nothing of the refused change was stored');
  });

  test('values are encrypted at rest: no file under the data dir holds one in plain text', async () => {
    assert.equal((await cli(['config:set', 'SECRET_TOKEN=plain-text-canary-8271'])).code, 0);
    // Once the dynos run with it, so their container bundles are on disk too.
    await p.waitFor('rel', 'plain-text-canary-8271', '/env/SECRET_TOKEN');
    const files = (await readdir(p.dataDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    assert.ok(files.some((f) => f.name === 'slipway.db'));
    assert.ok(files.some((f) => f.name === 'config.json'), 'a dyno bundle was scanned');
    for (const f of files) {
      const bytes = await readFile(join(f.parentPath, f.name)).catch(() => Buffer.alloc(0)); // files of stopped dynos vanish
      assert.ok(!bytes.includes('plain-text-canary-8271'), `${join(f.parentPath, f.name)} holds the value in plain text`);
    }
    const key = join(p.dataDir, 'secrets', 'config.key');
    assert.equal(((await import('node:fs')).statSync(key).mode & 0o777), 0o600);
  });

  test('releases -n / --json / releases:info; rollback restores the old response and environment', async () => {
    await makeRepo(repo, appFiles('token-two'), 'second');
    const push = await p.push(repo, 'rel');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('rel', 'token-two');
    assert.equal((await cli(['config:set', 'AFTER=yes'])).code, 0);
    await p.waitFor('rel', 'yes', '/env/AFTER');
    const list = await cli(['releases', '-n', '3']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /=== rel Releases - Current: v8/);
    assert.match(list.stdout, /^v8\s+Set AFTER config vars\s+operator@slipway\.local\s+\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d/m);
    assert.match(list.stdout, /^v7\s+Deploy [0-9a-f]{7}\s+/m);
    assert.equal(list.stdout.trim().split('\n').length, 4, 'header and three rows');
    const json = JSON.parse((await cli(['releases', '--json', '-n', '2'])).stdout);
    assert.deepEqual(json.map((r: any) => r.version), [8, 7]);
    // The API pages with Range as Heroku does: 206 and a Next-Range to continue from.
    const page = await p.request('GET', '/apps/rel/releases', undefined, { Range: 'version ..; max=3, order=desc' });
    assert.equal(page.status, 206);
    assert.deepEqual(page.body.map((r: any) => r.version), [8, 7, 6]);
    assert.equal(page.headers.get('next-range'), 'version ]6..; max=3, order=desc');
    const next = await p.request('GET', '/apps/rel/releases', undefined, { Range: page.headers.get('next-range')! });
    assert.deepEqual(next.body.map((r: any) => r.version), [5, 4, 3]);
    const info = await cli(['releases:info', 'v2']);
    assert.match(info.stdout, /=== Release v2/);
    assert.match(info.stdout, /Change:\s+Set A, B, C, D, E, F config vars/);
    assert.match(info.stdout, /=== v2 Config vars/);
    assert.match(info.stdout, /^B:\s+two words$/m);

    const back = await cli(['releases:rollback', 'v5']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stderr, /Rolling back rel\.\.\. done, v5/);
    assert.match(back.stderr, /doesn't add or remove add-ons/);
    await p.waitFor('rel', 'token-one');
    assert.equal((await p.route('rel', '/env/AFTER')).body, '<unset>', 'the environment is v5\'s');
    assert.equal((await p.route('rel', '/env/B')).body, 'two words');
    assert.deepEqual((await versions()).at(-1), [9, 'Rollback to v5', 'succeeded']);
    assert.equal((await cli(['config:get', 'AFTER'])).stdout, '\n', 'the app\'s config vars are v5\'s again');
    // No version named: back to the release before the newest.
    const again = await cli(['releases:rollback']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /done, v8/);
    await p.waitFor('rel', 'token-two');
    assert.equal((await p.route('rel', '/env/AFTER')).body, 'yes');
    const bad = await cli(['releases:rollback', 'v99']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Couldn't find that release/);
  });

  test('concurrent config:set calls from several clients lose nothing', async () => {
    const before = (await versions()).length;
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => cli(['config:set', `PAR_${i}=v${i}`])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const vars = JSON.parse((await cli(['config', '--json'])).stdout);
    for (let i = 0; i < 6; i++) assert.equal(vars[`PAR_${i}`], `v${i}`);
    const all = await versions();
    assert.equal(all.length, before + 6);
    assert.deepEqual(all.map((r: any) => r[0]), all.map((_: any, i: number) => i + 1), 'versions are contiguous');
    const newest = await p.request('GET', `/apps/rel/releases/${all.length}/config-vars`);
    for (let i = 0; i < 6; i++) assert.equal(newest.body[`PAR_${i}`], `v${i}`, 'the newest snapshot holds every change');
  });

  test('old slugs are removed beyond the kept releases, the space freed is logged, and rollback to them is refused', async () => {
    let removed = false;
    for (let i = 0; i < 100 && !removed; i++) {
      removed = /housekeeping: removed \d+ slugs? .* freed \d+\.\dM/.test(p.output);
      if (!removed) await sleep(200);
    }
    assert.ok(removed, `no housekeeping line in the platform output:\n${p.output.slice(-2000)}`);
    const refused = await cli(['releases:rollback', 'v1']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /v1's slug is no longer stored/);
    const v1 = await p.request('GET', '/apps/rel/releases/1');
    assert.equal(v1.body.eligible_for_rollback, false);
  });

  test('a release phase runs before the release goes live; its failure keeps the old version serving', async () => {
    await makeRepo(repo, appFiles('token-three', 'echo "migrating with MODE=$MODE on $DYNO"; sleep ${PAUSE:-0}; test "$MODE" != broken'), 'with release phase');
    const push = await p.push(repo, 'rel');
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /remote:  !     Release command declared: this new release will not be available until the command succeeds\./);
    assert.match(push.output, /Verifying deploy\.\.\. done\.\nremote: Running release command\.\.\.[\s\S]*migrating with MODE= on release\.\d+[\s\S]*Waiting for release\.\.\.\. done\./);
    await p.waitFor('rel', 'token-three');
    const ok = (await versions()).at(-1);
    assert.equal(ok[2], 'succeeded');
    assert.match((await cli(['releases:output', `v${ok[0]}`])).stdout, /migrating with MODE= on release\.\d+/);

    // Releases go live in order: a change made while a release command runs waits behind it.
    assert.equal((await cli(['config:set', 'PAUSE=6'])).code, 0);
    assert.equal((await cli(['config:set', 'QUEUED=yes'])).code, 0);
    const [slow, queued] = (await p.request('GET', '/apps/rel/releases')).body.slice(-2);
    assert.deepEqual([slow.status, queued.status], ['pending', 'pending']);
    assert.equal((await p.route('rel', '/env/QUEUED')).body, '<unset>', 'not live while the release ahead runs');
    await p.waitFor('rel', 'yes', '/env/QUEUED', 60);
    const settled = (await p.request('GET', '/apps/rel/releases')).body.slice(-2);
    assert.deepEqual(settled.map((r: any) => r.status), ['succeeded', 'succeeded']);
    assert.ok(settled[0].updated_at <= settled[1].updated_at, 'the earlier release settled first');
    assert.equal((await cli(['config:unset', 'PAUSE', 'QUEUED'])).code, 0);

    // A config change runs the release command too; here it fails, and the change does not go live.
    const broken = await cli(['config:set', 'MODE=broken']);
    assert.equal(broken.code, 0, broken.stderr);
    const failedVersion = (await versions()).at(-1)[0];
    let status = 'pending';
    for (let i = 0; i < 200 && status === 'pending'; i++) {
      status = (await p.request('GET', `/apps/rel/releases/${failedVersion}`)).body.status;
      await sleep(200);
    }
    assert.equal(status, 'failed');
    const output = await cli(['releases:output', `v${failedVersion}`]);
    assert.match(output.stdout, /migrating with MODE=broken/);
    assert.match(output.stdout, /Release command exited with status 1/);
    assert.match((await cli(['releases'])).stdout, new RegExp(`v${failedVersion}\\s+Set MODE config vars release command failed`));
    assert.equal((await p.route('rel', '/env/MODE')).body, '<unset>', 'the dynos still run the previous release');
    await p.waitForLog('rel', new RegExp(`app\\[api\\]: Release v${failedVersion} command failed by user operator@slipway\\.local`));
    assert.match(await p.logs('rel'), /app\[release\.\d+\]: migrating with MODE=broken/);

    // A push whose release command fails is declined, and the old version keeps serving.
    await makeRepo(repo, appFiles('token-four', 'echo "migration fails"; exit 3'), 'failing release phase');
    const bad = await p.push(repo, 'rel');
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /migration fails[\s\S]*Waiting for release\.\.\.\. failed\./);
    assert.equal((await p.route('rel')).body, 'token-three');
    assert.equal((await p.request('GET', '/apps/rel/releases')).body.find((r: any) => r.current).version, failedVersion - 1);
    assert.equal((await p.request('PATCH', '/apps/rel/config-vars', { MODE: null })).status, 200);

    // The release type is in the formation (at 0, it cannot be scaled); releases:retry runs it again.
    const scale = await cli(['ps:scale', 'release=1']);
    assert.notEqual(scale.code, 0);
    assert.match(scale.stderr, /cannot be scaled/);
    const retry = await cli(['releases:retry']);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stderr, new RegExp(`Retrying v${failedVersion + 2} on rel\\.\\.\\. done, v${failedVersion + 3}`));
    assert.match(retry.stdout, /Running release command\.\.\.\nmigrating with MODE= on release\.\d+/);
    assert.equal((await p.request('GET', `/apps/rel/releases/${failedVersion + 3}`)).body.status, 'succeeded');
  });

  test('a release command past SLIPWAY_RELEASE_TIMEOUT is stopped and its release fails', async () => {
    await makeRepo(repo, appFiles('token-never', 'echo "stuck migration"; sleep 600'), 'stuck release phase');
    const push = await p.push(repo, 'rel');
    assert.notEqual(push.code, 0);
    assert.match(push.output, /stuck migration[\s\S]*The release command ran past its timeout \(40 s\) and was stopped\.[\s\S]*Waiting for release\.\.\.\. failed\./);
    assert.equal((await p.request('GET', '/apps/rel/releases')).body.at(-1).status, 'failed');
    assert.equal((await p.route('rel')).body, 'token-three');
    assert.match(await p.logs('rel'), /heroku\[release\.\d+\]: Release command timed out after 40 seconds; stopping it/);
  });

  test('a SIGKILL of the platform during a release leaves a consistent ledger', async () => {
    await makeRepo(repo, appFiles('token-five', 'echo slow migration; sleep 60'), 'slow release phase');
    const pushing = p.push(repo, 'rel');
    let pending: any;
    for (let i = 0; i < 300 && !pending; i++) {
      pending = (await p.request('GET', '/apps/rel/releases')).body.find((r: any) => r.status === 'pending' && /^Deploy/.test(r.description));
      if (!pending) await sleep(200);
    }
    assert.ok(pending, 'the release went pending');
    await p.waitForLog('rel', /slow migration/);
    const ps = await p.cli(['ps', '-a', 'rel']);
    assert.match(ps.stdout, /=== release \(Standard-1X\): echo slow migration; sleep 60 \(1\)\nrelease\.\d+: up /, 'ps shows the release command running');
    await p.crashAndRestart();
    await pushing;
    const all = (await p.request('GET', '/apps/rel/releases')).body;
    assert.deepEqual(all.map((r: any) => r.version), all.map((_: any, i: number) => i + 1), 'versions are contiguous');
    assert.equal(all.find((r: any) => r.id === pending.id).status, 'failed', 'the interrupted release failed');
    assert.ok(all.every((r: any) => r.status !== 'pending'));
    assert.match((await cli(['releases:output', `v${pending.version}`])).stdout, /platform stopped while this release was pending/);
    await p.waitFor('rel', 'token-three');
    const set = await cli(['config:set', 'AFTER_CRASH=1']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, new RegExp(`done, v${all.length + 1}`));
    await p.waitFor('rel', '1', '/env/AFTER_CRASH');
  });

  test('a SIGKILL amid concurrent config changes leaves every release whole', async () => {
    const sets = Array.from({ length: 8 }, (_, i) => p.request('PATCH', '/apps/rel/config-vars', { [`BURST_${i}`]: `b${i}` }).catch(() => undefined));
    await sleep(40);
    await p.crashAndRestart();
    await Promise.all(sets);
    const all = (await p.request('GET', '/apps/rel/releases')).body;
    assert.deepEqual(all.map((r: any) => r.version), all.map((_: any, i: number) => i + 1), 'versions are contiguous');
    assert.ok(all.every((r: any) => r.status !== 'pending'));
    const vars = (await p.request('GET', '/apps/rel/config-vars')).body;
    const newest = (await p.request('GET', `/apps/rel/releases/${all.length}/config-vars`)).body;
    assert.deepEqual(newest, vars, 'the app\'s config vars are exactly the newest release\'s');
    for (let i = 0; i < 8; i++) {
      const released = all.some((r: any) => r.description === `Set BURST_${i} config vars`);
      assert.equal(vars[`BURST_${i}`] === `b${i}`, released, `BURST_${i} is set exactly when its release exists`);
    }
  });

  test('builds:cache:purge empties the build cache', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const app = (await p.request('GET', '/apps/rel')).body;
    const cache = join(p.dataDir, 'cache', app.id);
    await mkdir(cache, { recursive: true });
    await writeFile(join(cache, 'big'), Buffer.alloc(3 * 1024 * 1024));
    const noConfirm = await cli(['builds:cache:purge']);
    assert.notEqual(noConfirm.code, 0);
    assert.match(noConfirm.stderr, /--confirm rel/);
    const r = await cli(['builds:cache:purge', '--confirm', 'rel']);
    assert.equal(r.code, 0, r.stderr);
    // 3 MB, plus what the cache's filesystem image (build/cache-disk.ts) holds of its own metadata.
    assert.match(r.stderr, /Purging build cache for rel\.\.\. done, 3\.[0-4]M freed/);
    assert.equal((await import('node:fs')).existsSync(cache), false);
    await run('true');
  });
});
