import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyChanges, checkChanges, CONFIG_MAX_BYTES, ConfigVarError, configNameProblem, configSize, describeChanges } from './config-vars.ts';

test('names: word characters, no leading double underscore', () => {
  for (const ok of ['A', 'DATABASE_URL', 'lower_case', '_X', 'A1']) assert.equal(configNameProblem(ok), undefined, ok);
  for (const bad of ['', 'bad name', 'A-B', 'A.B', 'É', '__X', 'A=B']) assert.ok(configNameProblem(bad), bad);
  assert.match(configNameProblem('bad name')!, /letters, digits and underscores/);
});

test('a change is checked whole: values are strings or null, no NUL byte', () => {
  assert.deepEqual(checkChanges({ A: 'x=y z', B: null, C: '' }), { A: 'x=y z', B: null, C: '' });
  assert.throws(() => checkChanges({ A: 1 }), ConfigVarError);
  assert.throws(() => checkChanges({ A: 'a\0b' }), /NUL/);
  assert.throws(() => checkChanges(['A']), /JSON object/);
  assert.throws(() => checkChanges({ 'bad-name': 'x' }), /bad-name/);
});

test('the 32 KB limit counts keys and values in UTF-8 bytes and names itself', () => {
  assert.equal(configSize({ AB: 'é' }), 4);
  const big = 'x'.repeat(CONFIG_MAX_BYTES);
  assert.throws(() => applyChanges({}, { BIG: big }), /limit is 32 KB/);
  const near = { A: 'x'.repeat(CONFIG_MAX_BYTES - 1) };
  assert.deepEqual(applyChanges({}, near), near);
  // Already past it (say, after a rollback): shrinking is allowed, growing is not.
  const over = { A: 'x'.repeat(CONFIG_MAX_BYTES), B: 'yy' };
  assert.deepEqual(applyChanges(over, { B: null }), { A: over.A });
  assert.throws(() => applyChanges(over, { C: 'z' }), ConfigVarError);
});

test('release descriptions follow Heroku: sorted keys, set then removed', () => {
  assert.equal(describeChanges({ B: '1', A: '2' }), 'Set A, B config vars');
  assert.equal(describeChanges({ A: null }), 'Remove A config vars');
  assert.equal(describeChanges({ A: '1', Z: null }), 'Set A config vars, Remove Z config vars');
});
