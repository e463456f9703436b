// Who reaches an app, on a real store: `appRoleFor` for an owner, a collaborator, a team's admin and
// member, the operator and a stranger; and how transfers and team changes move that.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Accounts } from '../accounts/index.ts';
import { TestStores } from '../store/test-helpers.ts';
import { appRoleFor } from './access.ts';
import { Collaborators } from './collaborators.ts';
import { Apps } from './index.ts';
import { Teams } from './teams.ts';

// Each test on both dialects: SQLite, and a real PostgreSQL (one throwaway cluster for the file).
const stores = new TestStores();
after(() => stores.close());

for (const dialect of stores.dialects) {
  describe(dialect, { skip: stores.skip(dialect) }, () => {
    test('appRoleFor: owner, collaborator, team admin and member, operator; strangers none; transfers move it', async () => {
      const store = await stores.open(dialect);
      const db = store.db;
      const accounts = new Accounts({ db });
      await accounts.ensureOperator('op@example.com', 'op-key', () => 'unused');
      const op = await accounts.find('op@example.com');
      const [alice, bob, carol, eve] = await Promise.all(['alice', 'bob', 'carol', 'eve'].map((n) => accounts.create(`${n}@example.com`, 'long enough password')));
      const apps = new Apps({
        db, stack: 's', repos: { create: async () => undefined, remove: async () => undefined },
        dynos: { track: () => undefined, renamed: () => undefined, setMaintenance: () => undefined, untrack: async () => undefined },
        addons: { destroyForApp: async () => undefined }, forget: () => undefined,
      });
      const teams = new Teams({ db, isOperator: (id) => accounts.isOperator(id) });
      const collaborators = new Collaborators({ db });
      const role = (who: { id: string }, app: { id: string }) => appRoleFor(db, who.id, app.id);

      const app = await apps.create(alice!, { name: 'alice-app' });
      assert.equal(await role(alice!, app), 'owner');
      assert.equal(await role(bob!, app), undefined);
      assert.equal(await role(op, app), 'operator');
      assert.equal(await role(bob!, { id: 'no-such-app' }), undefined);
      await collaborators.add(app, bob!);
      assert.equal(await role(bob!, app), 'collaborator');
      assert.deepEqual((await collaborators.list(app)).map((c) => `${c.user.email}:${c.role}`), ['alice@example.com:owner', 'bob@example.com:collaborator']);
      await assert.rejects(collaborators.remove(app, 'alice@example.com'), /owns alice-app/);
      await collaborators.remove(app, 'bob@example.com');
      assert.equal(await role(bob!, app), undefined);

      const crew = await teams.create(carol!, 'crew');
      await teams.setMember(crew, eve!, 'member');
      await assert.rejects(teams.setMember(crew, carol!, 'member'), /keep at least one admin/);
      await assert.rejects(teams.setMember(crew, eve!, 'owner'), /admin or member/);
      const teamApp = await apps.create(eve!, { name: 'crew-app', team: crew });
      assert.equal(await role(carol!, teamApp), 'admin');
      assert.equal(await role(eve!, teamApp), 'member');
      assert.equal(await role(alice!, teamApp), undefined);
      await assert.rejects(teams.forMember(alice!, 'crew'), /Couldn't find that team/);
      await assert.rejects(teams.forMember(eve!, 'crew', true), /Only an admin/);

      // A personal app into the team: its owner stays on as a collaborator; the team's people reach it.
      const moved = await collaborators.transfer(app, { team: crew });
      assert.equal(await role(eve!, moved), 'member');
      assert.equal(await role(alice!, moved), 'collaborator');
      // A team app to a person: collaborators go, the team no longer reaches it.
      const mine = await collaborators.transfer(moved, { account: bob! });
      assert.equal(await role(bob!, mine), 'owner');
      assert.equal(await role(eve!, mine), undefined);
      assert.equal(await role(alice!, mine), undefined);
      // Person to person: the previous owner stays a collaborator.
      const again = await collaborators.transfer(mine, { account: alice! });
      assert.equal(await role(alice!, again), 'owner');
      assert.equal(await role(bob!, again), 'collaborator');
      await teams.removeMember(crew, eve!);
      assert.equal(await role(eve!, teamApp), undefined);
      await store.close();
    });
  });
}
