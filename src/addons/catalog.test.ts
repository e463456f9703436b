import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  attachmentVars, defaultAttachmentName, findService, generateAddonName, hourlyPrice, monthlyPrice, normalizeAttachmentName, resolvePlan,
} from './catalog.ts';
import type { AddonError } from './types.ts';

test('a bare service takes its default plan; service:plan picks one', () => {
  assert.equal(resolvePlan('heroku-postgresql').plan.name, 'essential-0');
  assert.equal(resolvePlan('heroku-redis').plan.name, 'mini');
  assert.equal(resolvePlan('redistogo:nano').plan.name, 'nano');
  assert.equal(resolvePlan('heroku-postgresql:standard-0').plan.tenancy, 'dedicated');
});

test('an unknown service or plan is a 422 that lists the valid choices', () => {
  assert.throws(() => resolvePlan('heroku-mysql'), (e: AddonError) => e.status === 422 && /Available services: heroku-postgresql, heroku-redis, redistogo/.test(e.message));
  assert.throws(() => resolvePlan('heroku-redis:hobby-dev'), (e: AddonError) => /Available plans: heroku-redis:mini, heroku-redis:premium-0/.test(e.message));
});

test("Heroku's price text", () => {
  assert.equal(hourlyPrice(500), '~$0.007/hour');
  assert.equal(hourlyPrice(300), '~$0.004/hour');
  assert.equal(hourlyPrice(900), '~$0.013/hour');
  assert.equal(hourlyPrice(2000), '~$0.028/hour');
  assert.equal(hourlyPrice(5000), '~$0.069/hour');
  assert.equal(hourlyPrice(1500), '~$0.021/hour');
  assert.equal(hourlyPrice(6000), '~$0.083/hour');
  assert.equal(monthlyPrice(500), '$5/month');
  assert.equal(monthlyPrice(550), '$5.50/month');
  assert.equal(hourlyPrice(0), 'free');
});

test('add-on names: short service name, an adjective, five digits (leading zeros kept)', () => {
  const pg = findService('heroku-postgresql')!;
  assert.match(generateAddonName(pg), /^postgresql-[a-z]+-\d{5}$/);
  assert.equal(generateAddonName(pg, (n) => (n === 100000 ? 2648 : 1)), 'postgresql-flat-02648');
  assert.match(generateAddonName(findService('heroku-redis')!), /^redis-[a-z]+-\d{5}$/);
});

test('the first database is DATABASE, the next ones HEROKU_POSTGRESQL_<COLOR> unused on the app', () => {
  const pg = findService('heroku-postgresql')!;
  assert.equal(defaultAttachmentName(pg, new Set()), 'DATABASE');
  assert.match(defaultAttachmentName(pg, new Set(['DATABASE'])), /^HEROKU_POSTGRESQL_[A-Z]+$/);
  assert.equal(defaultAttachmentName(pg, new Set(['DATABASE', 'HEROKU_POSTGRESQL_AMBER']), () => 0), 'HEROKU_POSTGRESQL_AQUA');
  assert.equal(defaultAttachmentName(findService('heroku-redis')!, new Set(['DATABASE'])), 'REDIS');
  assert.equal(defaultAttachmentName(findService('redistogo')!, new Set()), 'REDISTOGO');
});

test('attachment names are config var prefixes: upper-cased, - becomes _', () => {
  assert.equal(normalizeAttachmentName('shop-db'), 'SHOP_DB');
  assert.equal(normalizeAttachmentName('9lives'), undefined);
  assert.equal(normalizeAttachmentName('a b'), undefined);
  assert.deepEqual(attachmentVars('DATABASE', { URL: 'postgres://x' }), { DATABASE_URL: 'postgres://x' });
});
