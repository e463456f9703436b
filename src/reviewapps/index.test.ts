import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_NAME, reviewAppName } from './index.ts';

test("review app names follow Heroku's app-name rule, hashed when long", () => {
  assert.equal(reviewAppName('shop', 'feature/login'), 'shop-feature-login');
  assert.equal(reviewAppName('shop', 'Fix_Bug#12'), 'shop-fix-bug-12');
  const long = reviewAppName('my-long-pipeline-name', 'feature/a-really-long-branch-name');
  assert.match(long, APP_NAME);
  assert.ok(long.length <= 30);
  assert.match(long, /-[0-9a-f]{6}$/);
  assert.notEqual(reviewAppName('my-long-pipeline-name', 'feature/a-really-long-branch-name-2'), long, 'different branches, different names');
  assert.equal(reviewAppName('my-long-pipeline-name', 'feature/a-really-long-branch-name'), long, 'stable');
  for (const b of ['-', '___', '9lives', 'x']) assert.match(reviewAppName('p1x', b), APP_NAME, b);
});
