import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { appFromGitUrl, inferApp, MISSING_APP } from './app.ts';
import { apiBase } from './config.ts';
import { parseRemotes } from './git.ts';

const base = apiBase({ SLIPWAY_HOST: 'http://localhost:5000' });

describe('appFromGitUrl', () => {
  it('accepts the platform host over http or https, with or without userinfo', () => {
    for (const url of [
      'http://localhost:5000/demo.git',
      'https://localhost:5000/demo.git',
      'http://jon:KEY@localhost:5000/demo.git',
      'http://jon@localhost:5000/demo.git/',
    ]) {
      assert.equal(appFromGitUrl(url, base), 'demo', url);
    }
  });

  it('rejects other hosts, ports, schemes and paths', () => {
    for (const url of [
      'http://localhost:5001/demo.git',
      'http://127.0.0.1:5000/demo.git',
      'https://git.heroku.com/demo.git',
      'git@github.com:me/demo.git',
      'ssh://git@localhost:5000/demo.git',
      'http://localhost:5000/team/demo.git',
      'http://localhost:5000/demo',
    ]) {
      assert.equal(appFromGitUrl(url, base), undefined, url);
    }
  });

  it('honours a path prefix in SLIPWAY_HOST', () => {
    const prefixed = apiBase({ SLIPWAY_HOST: 'https://example.com/slipway/' });
    assert.equal(appFromGitUrl('https://example.com/slipway/demo.git', prefixed), 'demo');
    assert.equal(appFromGitUrl('https://example.com/demo.git', prefixed), undefined);
  });
});

describe('parseRemotes', () => {
  it('keeps the fetch URL of each remote', () => {
    const out = 'origin\tgit@github.com:me/x.git (fetch)\norigin\tgit@github.com:me/x.git (push)\nslipway\thttp://localhost:5000/demo.git (fetch)\n';
    assert.deepEqual(parseRemotes(out), [
      { name: 'origin', url: 'git@github.com:me/x.git' },
      { name: 'slipway', url: 'http://localhost:5000/demo.git' },
    ]);
  });
});

describe('inferApp in a git repository', () => {
  let dir = '';
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  const infer = (o: { flagApp?: string; flagRemote?: string; env?: NodeJS.ProcessEnv } = {}) =>
    inferApp({ env: {}, cwd: dir, base, ...o });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-app-'));
    git('init', '-q');
    git('remote', 'add', 'origin', 'git@github.com:me/demo.git');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails with the heroku wording when no remote points at the platform', async () => {
    await assert.rejects(infer(), { message: MISSING_APP });
  });

  it('prefers --app, then SLIPWAY_APP', async () => {
    assert.equal(await infer({ flagApp: 'flagged', env: { SLIPWAY_APP: 'env' } }), 'flagged');
    assert.equal(await infer({ env: { SLIPWAY_APP: 'env' } }), 'env');
  });

  it('finds the one app among the remotes', async () => {
    git('remote', 'add', 'slipway', 'http://jon:KEY@localhost:5000/demo.git');
    assert.equal(await infer(), 'demo');
  });

  it('refuses to guess between several apps, and -r picks one', async () => {
    git('remote', 'add', 'staging', 'https://localhost:5000/demo-staging.git');
    await assert.rejects(infer(), { message: 'Multiple apps in git remotes: demo, demo-staging; use --app' });
    assert.equal(await infer({ flagRemote: 'staging' }), 'demo-staging');
    assert.equal(await infer({ flagRemote: 'slipway' }), 'demo');
    await assert.rejects(infer({ flagRemote: 'origin' }), { message: MISSING_APP });
  });

  it('finds nothing outside a git repository', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'slipway-nogit-'));
    try {
      await assert.rejects(inferApp({ env: {}, cwd: outside, base }), { message: MISSING_APP });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
