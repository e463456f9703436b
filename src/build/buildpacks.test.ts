import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildpackName, redactUrl, resolveBuildpack } from './buildpacks.ts';

test('buildpack URLs are shown without their password', () => {
  assert.equal(redactUrl('https://user:s3cret@git.example.com/bp.git#v1'), 'https://user:***@git.example.com/bp.git#v1');
  assert.equal(redactUrl('https://git.example.com/bp.git'), 'https://git.example.com/bp.git');
  assert.equal(buildpackName('heroku/nodejs'), 'heroku/nodejs');
  assert.equal(buildpackName('urn:buildpack:heroku/python'), 'heroku/python');
});

test('buildpack URLs resolve to built-ins, git repositories at a ref, or errors naming the choices', () => {
  assert.deepEqual(resolveBuildpack('heroku/python', '/bp'), { kind: 'builtin', url: 'heroku/python', name: 'heroku/python', dir: '/bp/python' });
  assert.deepEqual(resolveBuildpack('https://h/x.git#v2', '/bp'), { kind: 'git', url: 'https://h/x.git#v2', name: 'https://h/x.git#v2', repo: 'https://h/x.git', ref: 'v2' });
  assert.throws(() => resolveBuildpack('nodejs-ish', '/bp'), /Unknown buildpack nodejs-ish: use a git URL, an absolute path, or one of heroku\/ruby, heroku\/nodejs, heroku\/clojure, heroku\/python, heroku\/java, heroku\/scala, heroku-community\/procfile\.$/);
  assert.throws(() => resolveBuildpack('/nonexistent/bp', '/bp'), /has no bin\/compile/);
});
