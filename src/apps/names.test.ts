import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appNameProblem, generateAppName } from './names.ts';

test('app names follow Heroku\'s rule', () => {
  for (const ok of ['demo', 'abc', 'a1-b2', 'x'.repeat(30)]) assert.equal(appNameProblem(ok), undefined, ok);
  for (const bad of ['ab', 'Demo', '1demo', 'demo-', 'de_mo', 'x'.repeat(31), '']) assert.match(appNameProblem(bad)!, /invalid/, bad);
});

test('generated names look like Heroku\'s and are valid', () => {
  for (let i = 0; i < 200; i++) {
    const n = generateAppName();
    assert.match(n, /^[a-z]+-[a-z]+-\d{4}$/);
    assert.equal(appNameProblem(n), undefined);
  }
});
