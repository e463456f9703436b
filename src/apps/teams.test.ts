// How many teams an account may make, on a real store: the limit is counted by who made them (leaving a
// team frees no place; deleting it does), the refusal names the setting, the operator has none; and a
// team that owns apps is not deleted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Accounts } from '../accounts/index.ts';
import { openStore } from '../store/index.ts';
import { Apps } from './index.ts';
import { Teams } from './teams.ts';

test('team creation is bounded per account; a team with apps is not deleted', async () => {
  const store = openStore(':memory:');
  const db = store.db;
  const accounts = new Accounts({ db });
  await accounts.ensureOperator('op@example.com', 'op-key', () => 'unused');
  const op = await accounts.find('op@example.com');
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => accounts.create(`${n}@example.com`, 'long enough password')));
  const teams = new Teams({ db, isOperator: (id) => accounts.isOperator(id), maxPerAccount: 2 });
  const first = await teams.create(alice!, 'alpha');
  await teams.create(alice!, 'beta');
  await assert.rejects(teams.create(alice!, 'gamma'), (e: { status: number; message: string }) => {
    assert.equal(e.status, 422);
    assert.match(e.message, /You have made 2 teams, the most one account may \(SLIPWAY_TEAMS_PER_ACCOUNT\)/);
    return true;
  });
  // Handing a team to someone else and leaving it frees no place.
  await teams.setMember(first, bob!, 'admin');
  await teams.removeMember(first, alice!);
  await assert.rejects(teams.create(alice!, 'gamma'), /the most one account may/);
  assert.equal((await teams.create(bob!, 'delta')).name, 'delta', 'another account has its own count');
  // A team that owns an app stays; without it, it goes, and frees the place.
  const apps = new Apps({
    db, stack: 's', repos: { create: async () => undefined, remove: async () => undefined },
    dynos: { track: () => undefined, renamed: () => undefined, setMaintenance: () => undefined, untrack: async () => undefined },
    addons: { destroyForApp: async () => undefined }, forget: () => undefined,
  });
  const app = await apps.create(bob!, { name: 'in-alpha', team: first });
  await assert.rejects(teams.destroy(first), /still owns apps \(in-alpha\)/);
  await apps.destroy(app, bob!);
  await teams.destroy(first);
  assert.deepEqual(await db.selectFrom('team_members').selectAll().where('team_id', '=', first.id).execute(), []);
  assert.equal((await teams.create(alice!, 'gamma')).name, 'gamma');
  // The operator makes as many as it needs.
  for (const name of ['op-1', 'op-2', 'op-3']) await teams.create(op, name);
  await store.close();
});
