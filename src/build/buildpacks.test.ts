import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllowedTargets } from '../egress/index.ts';
import { buildpackName, materialize, parseLocalBuildpackDirs, redactUrl, resolveBuildpack } from './buildpacks.ts';

test('buildpack URLs are shown without their password', () => {
  assert.equal(redactUrl('https://user:s3cret@git.example.com/bp.git#v1'), 'https://user:***@git.example.com/bp.git#v1');
  assert.equal(redactUrl('https://git.example.com/bp.git'), 'https://git.example.com/bp.git');
  assert.equal(buildpackName('heroku/nodejs'), 'heroku/nodejs');
  assert.equal(buildpackName('urn:buildpack:heroku/python'), 'heroku/python');
});

test('buildpack URLs resolve to built-ins, git repositories at a ref, or errors naming the choices', () => {
  assert.deepEqual(resolveBuildpack('heroku/python', '/bp'), { kind: 'builtin', url: 'heroku/python', name: 'heroku/python', dir: '/bp/python' });
  assert.deepEqual(resolveBuildpack('https://h/x.git#v2', '/bp'), { kind: 'git', url: 'https://h/x.git#v2', name: 'https://h/x.git#v2', repo: 'https://h/x.git', ref: 'v2' });
  assert.throws(() => resolveBuildpack('nodejs-ish', '/bp'), /Unknown buildpack nodejs-ish: use an https:\/\/ git URL or one of heroku\/ruby, heroku\/nodejs, heroku\/clojure, heroku\/python, heroku\/java, heroku\/scala, heroku-community\/procfile\.$/);
  assert.throws(() => resolveBuildpack('/nonexistent/bp', '/bp', ['/nonexistent']), /has no bin\/compile/);
});

test('a local-path buildpack only from a directory the operator named (SLIPWAY_LOCAL_BUILDPACKS); not /etc, not a way out through .. or a link', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-bp-local-'));
  try {
    const allowed = join(root, 'allowed');
    await mkdir(join(allowed, 'mine', 'bin'), { recursive: true });
    await writeFile(join(allowed, 'mine', 'bin', 'compile'), '#!/bin/sh\n');
    await mkdir(join(root, 'elsewhere', 'bin'), { recursive: true });
    await writeFile(join(root, 'elsewhere', 'bin', 'compile'), '#!/bin/sh\n');
    await symlink(join(root, 'elsewhere'), join(allowed, 'link-out'));
    assert.deepEqual(resolveBuildpack(join(allowed, 'mine'), '/bp', [allowed]), { kind: 'path', url: join(allowed, 'mine'), name: join(allowed, 'mine'), dir: join(allowed, 'mine') });
    for (const url of ['/etc', '/root/.ssh', join(root, 'elsewhere'), `${allowed}/../elsewhere`, join(allowed, 'link-out'), `${allowed}-x/mine`]) {
      assert.throws(() => resolveBuildpack(url, '/bp', [allowed]), /only directories under .* \(SLIPWAY_LOCAL_BUILDPACKS\) may be named as local buildpacks/, url);
    }
    assert.throws(() => resolveBuildpack(join(allowed, 'mine'), '/bp'), /a directory on the platform's host is not a buildpack apps may name.*SLIPWAY_LOCAL_BUILDPACKS/);
    assert.deepEqual(parseLocalBuildpackDirs(`${allowed}:/opt/bp/:`), [allowed, '/opt/bp']);
    assert.throws(() => parseLocalBuildpackDirs('bp'), /must list absolute directories/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('buildpack git URLs: only https:// (http:// checked later against the host), no other git transport, no option as a ref', () => {
  assert.equal(resolveBuildpack('https://h/x.git', '/bp').kind, 'git');
  assert.equal(resolveBuildpack('http://10.0.0.5/x.git', '/bp').kind, 'git');
  for (const url of ['ext::sh -c touch% /tmp/pwned', 'file:///etc', 'git://h/x.git', 'ssh://git@h/x.git', 'fd::3', 'foo::bar', 'https://']) {
    assert.throws(() => resolveBuildpack(url, '/bp'), /only https:\/\/ git URLs are accepted/, url);
  }
  assert.throws(() => resolveBuildpack('git@github.com:x/y.git', '/bp'), /Unknown buildpack .*use an https:\/\/ git URL/);
  assert.throws(() => resolveBuildpack('https://h/x.git#--upload-pack=touch', '/bp'), /the ref after # must be a branch or tag name/);
  assert.throws(() => resolveBuildpack('https://h/x.git#a b', '/bp'), /the ref after # must be a branch or tag name/);
  assert.equal((resolveBuildpack('https://h/x.git#release/v1.2', '/bp') as { ref: string }).ref, 'release/v1.2');
});

test('a buildpack over plain http:// to a public host is refused before git runs, naming https', async () => {
  const bp = resolveBuildpack('http://203.0.113.7/x.git', '/bp');
  const dest = join(await mkdtemp(join(tmpdir(), 'slipway-bp-test-')), 'bp');
  await assert.rejects(materialize(bp, dest, parseAllowedTargets(undefined)), /plain http:\/\/.*use the https:\/\/ address/);
  assert.equal(existsSync(dest), false);
});
