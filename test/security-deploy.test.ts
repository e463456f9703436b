// Issue #9, points 11 and 12. A platform SIGKILLed in the middle of a push's build must not let git move
// the branch (the hook declines unless the platform said "success"), so after a restart the same commit
// pushes and deploys. And `run` right after a push (its one-off starting while the new web dyno unpacks
// the same slug) works: one unpack per slug, the others wait on it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';

describe('deploys that survive a crash, and run right after a push', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-deploy-'));
    await p.start();
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const remoteMain = (app: string) => execFileSync('git', ['ls-remote', p.gitUrl(app), 'refs/heads/main'], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).toString().trim();

  test('a SIGKILL of the platform mid-build leaves the branch where it was; the same commit then deploys', async () => {
    await p.request('POST', '/apps', { name: 'crashy' });
    const dir = join(work, 'crashy');
    const commit = await makeRepo(dir, appFiles('crashy-ok'));
    // The push, watched as it happens: the platform is killed as soon as the build has started.
    const push = spawn('git', ['push', p.gitUrl('crashy'), 'HEAD:main'], { cwd: dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    let output = '';
    let killed: Promise<void> | undefined;
    const onOutput = (d: Buffer) => {
      output += d;
      if (!killed && /Building on the/.test(output)) killed = p.crashAndRestart();
    };
    push.stdout.on('data', onOutput);
    push.stderr.on('data', onOutput);
    const code = await new Promise<number>((resolve) => push.on('close', (c) => resolve(c ?? 1)));
    assert.ok(killed, `the build started before the push ended:\n${output}`);
    await killed;
    assert.notEqual(code, 0, `the push was not accepted:\n${output}`);
    assert.equal(remoteMain('crashy'), '', 'main did not move');
    assert.equal((await p.request('GET', '/apps/crashy/releases')).body.length, 0, 'no release');

    const again = await p.push(dir, 'crashy');
    assert.equal(again.code, 0, again.output);
    assert.doesNotMatch(again.output, /Everything up-to-date/);
    assert.match(again.output, /Released v1/);
    assert.equal(remoteMain('crashy').split(/\s/)[0], commit);
    await p.waitFor('crashy', 'crashy-ok');
  });

  test('a crafted tree (the same name as a link to /etc and as a directory) is refused at the push', async () => {
    await p.request('POST', '/apps', { name: 'crafted' });
    const dir = join(work, 'crafted');
    await makeRepo(dir, appFiles('crafted-ok'));
    const git = (args: string[], input?: Buffer) => execFileSync('git', args, { cwd: dir, input }).toString().trim();
    const link = git(['hash-object', '-w', '--stdin'], Buffer.from('/etc'));
    const sub = git(['write-tree']);
    const hex = (h: string) => Buffer.from(h, 'hex');
    const tree = git(['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'],
      Buffer.concat([Buffer.from('120000 etc\0'), hex(link), Buffer.from('40000 etc\0'), hex(sub)]));
    const commit = git(['-c', 'user.email=a@b', '-c', 'user.name=a', 'commit-tree', tree, '-m', 'crafted']);
    git(['update-ref', 'refs/heads/main', commit]);
    const push = await p.push(dir, 'crafted');
    assert.notEqual(push.code, 0, push.output);
    assert.match(push.output, /duplicateEntries/);
    assert.equal(remoteMain('crafted'), '', 'main did not move');
    assert.equal((await p.request('GET', '/apps/crafted/builds')).body.length, 0, 'nothing was built');
  });

  test('run right after a push starts its one-off while the web dyno unpacks the same slug', async () => {
    await p.request('POST', '/apps', { name: 'runner' });
    const dir = join(work, 'runner');
    await makeRepo(dir, appFiles('runner-ok'));
    const push = await p.push(dir, 'runner');
    assert.equal(push.code, 0, push.output);
    const run = await p.request('POST', '/apps/runner/dynos', { command: 'echo one-off-ran-$((6*7))', attach: false });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    await p.waitForLog('runner', /one-off-ran-42/);
    await p.waitFor('runner', 'runner-ok');
    assert.doesNotMatch(p.output, /ENOTEMPTY/);
  });
});
