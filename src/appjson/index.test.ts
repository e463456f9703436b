import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppJsonError, forReview, parseAppJson, resolveEnv } from './index.ts';

const FULL = JSON.stringify({
  name: 'full', stack: 'heroku-24', success_url: '/welcome',
  env: { GREETING: { value: 'hi', description: 'said at /' }, SECRET_TOKEN: { generator: 'secret' }, OPTIONAL: { required: false }, PLAIN: 'x' },
  addons: ['heroku-redis', { plan: 'heroku-postgresql:essential-0', as: 'DATABASE', options: { version: '16' } }],
  buildpacks: [{ url: 'heroku/nodejs' }],
  formation: { web: { quantity: 1, size: 'Standard-1X' }, worker: { quantity: 0 } },
  scripts: { postdeploy: 'bin/seed', 'pr-predestroy': { command: 'bin/cleanup', size: 'standard-2x' } },
  environments: { review: { env: { GREETING: 'hi from review' }, addons: [], formation: { web: { quantity: 1, size: 'basic' } } } },
});

test('a full app.json is read whole and normalized', () => {
  const m = parseAppJson(FULL, { stacks: ['slipway-12', 'heroku-24'] });
  assert.equal(m.successUrl, '/welcome');
  assert.deepEqual(m.env.GREETING, { value: 'hi', description: 'said at /', generator: undefined, required: true });
  assert.deepEqual(m.env.PLAIN, { value: 'x', required: true });
  assert.deepEqual(m.addons, [{ plan: 'heroku-redis', options: {} }, { plan: 'heroku-postgresql:essential-0', as: 'DATABASE', options: { version: '16' } }]);
  assert.deepEqual(m.buildpacks, ['heroku/nodejs']);
  assert.deepEqual(m.formation, { web: { quantity: 1, size: 'standard-1x' }, worker: { quantity: 0, size: undefined } });
  assert.deepEqual(m.scripts, { postdeploy: { command: 'bin/seed' }, prPredestroy: { command: 'bin/cleanup', size: 'standard-2x' } });
  const r = forReview(m);
  assert.equal(r.env.GREETING!.value, 'hi from review');
  assert.ok(r.env.SECRET_TOKEN, 'entries review does not name stay');
  assert.deepEqual(r.addons, [], 'review addons replace the top level');
  assert.equal(r.formation.web!.size, 'basic');
  assert.equal(r.scripts.postdeploy!.command, 'bin/seed');
});

test('env: values, generated secrets, overrides, and required entries without a value', () => {
  const m = parseAppJson(FULL);
  let n = 0;
  const vars = resolveEnv(m, { PLAIN: 'overridden', EXTRA: 'e' }, () => `secret-${++n}`);
  assert.deepEqual(vars, { GREETING: 'hi', SECRET_TOKEN: 'secret-1', PLAIN: 'overridden', EXTRA: 'e' });
  assert.match(resolveEnv(parseAppJson('{"env":{"S":{"generator":"secret"}}}')).S!, /^[0-9a-f]{64}$/);
  assert.throws(() => resolveEnv(parseAppJson('{"env":{"API_KEY":{"description":"the key"},"B":{"required":true}}}')),
    /app\.json env API_KEY \(the key\), B are required and have no value: give them in overrides\.env/);
  assert.throws(() => resolveEnv(parseAppJson('{}'), { 'bad key': 'x' }), /overrides\.env key "bad key"/);
});

test('malformed or contradictory app.json is refused naming the field', () => {
  const refused: [string, RegExp][] = [
    ['{', /app\.json is not valid JSON/],
    ['[]', /must hold a JSON object/],
    ['{"env":{"A":{"required":"yes"}}}', /app\.json env\.A\.required must be a boolean/],
    ['{"env":{"A":{"value":"x","generator":"secret"}}}', /env\.A has both "value" and "generator"/],
    ['{"env":{"A":{"generator":"uuid"}}}', /env\.A\.generator/],
    ['{"env":{"1A":"x"}}', /env key "1A" is not a config var name/],
    ['{"addons":"heroku-redis"}', /app\.json addons must be an array/],
    ['{"addons":[{"as":"X"}]}', /addons\[0\]/],
    ['{"addons":["Heroku Redis"]}', /addons\[0\] "Heroku Redis" is not an add-on plan/],
    ['{"addons":[{"plan":"heroku-redis","as":"CACHE"},{"plan":"heroku-redis","as":"CACHE"}]}', /addons\[1\]\.as "CACHE" is used twice/],
    ['{"formation":{"web":{"quantity":-1}}}', /formation\.web\.quantity must be >= 0/],
    ['{"formation":{"web":{"size":"huge"}}}', /formation\.web\.size "huge" is not a dyno size/],
    ['{"formation":[]}', /formation must be an object/],
    ['{"scripts":{"postdeploy":""}}', /scripts\.postdeploy is empty/],
    ['{"scripts":{"postdeploy":{"command":"x","size":"giant"}}}', /scripts\.postdeploy\.size "giant"/],
    ['{"environments":{"review":{"env":{"A":{"required":1}}}}}', /environments\.review\.env\.A\.required/],
    ['{"buildpacks":[{"uri":"x"}]}', /buildpacks\[0\]/],
  ];
  for (const [text, why] of refused) assert.throws(() => parseAppJson(text), (e: Error) => e instanceof AppJsonError && why.test(e.message), text);
  assert.throws(() => parseAppJson('{"stack":"cedar-14"}', { stacks: ['slipway-12', 'heroku-24'] }), /app\.json stack "cedar-14" is not available here; this platform runs slipway-12/);
  assert.doesNotThrow(() => parseAppJson('{"stack":"slipway-12","unknown":{"kept":"ignored"}}', { stacks: ['slipway-12'] }));
});
