import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeProcessTypes, parseProcfile, ProcfileError } from './procfile.ts';

test('a Procfile maps process types to commands', () => {
  assert.deepEqual(parseProcfile('web: node index.js -p $PORT\n\n# jobs\nworker:  bundle exec sidekiq \r\nrelease: ./migrate\n'), {
    web: 'node index.js -p $PORT', worker: 'bundle exec sidekiq', release: './migrate',
  });
});

test('a malformed line is named with its number', () => {
  assert.throws(() => parseProcfile('web: ok\nthis is not a process\n'), (e: Error) => e instanceof ProcfileError && /line 2/.test(e.message));
  assert.throws(() => parseProcfile('web:\n'), /line 1 gives process type "web" no command/);
  assert.throws(() => parseProcfile('web: a\nweb: b\n'), /second time/);
  assert.throws(() => parseProcfile('we b: a\n'), /line 1/);
});

test('process types are described as the slug compiler does', () => {
  assert.deepEqual(describeProcessTypes({ worker: 'x', web: 'y' }, {}), ['       Procfile declares types -> web, worker']);
  assert.deepEqual(describeProcessTypes(null, { web: 'npm start' }), [
    '       Procfile declares types     -> (none)', '       Default types for buildpack -> web']);
  assert.deepEqual(describeProcessTypes({ web: 'a' }, { web: 'npm start' }), ['       Procfile declares types -> web']);
});
