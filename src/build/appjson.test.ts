import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAppJsonFormation } from './appjson.ts';

test('app.json formation gives quantities and sizes', () => {
  assert.deepEqual(parseAppJsonFormation('{"name":"x","formation":{"web":{"quantity":2,"size":"Standard-2X"},"worker":{"quantity":1}}}'), {
    web: { quantity: 2, size: 'standard-2x' }, worker: { quantity: 1, size: undefined },
  });
  assert.deepEqual(parseAppJsonFormation('{"name":"no formation"}'), {});
});

test('bad app.json formation is refused naming the field', () => {
  assert.throws(() => parseAppJsonFormation('{'), /app\.json is not valid JSON/);
  assert.throws(() => parseAppJsonFormation('{"formation":{"web":{"quantity":-1}}}'), /formation\.web\.quantity/);
  assert.throws(() => parseAppJsonFormation('{"formation":{"web":{"size":"huge"}}}'), /formation\.web\.size "huge" is not a dyno size/);
  assert.throws(() => parseAppJsonFormation('{"formation":[]}'), /must be an object/);
});
