// Accounts on a real store: a key presented as Bearer or as git's Basic password finds its account, a
// wrong one none; an operator key given at start replaces the stored one.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, describe, test } from 'node:test';
import { TestStores } from '../store/test-helpers.ts';
import { Accounts } from './index.ts';

// Each test on both dialects: SQLite, and a real PostgreSQL (one throwaway cluster for the file).
const stores = new TestStores();
after(() => stores.close());

for (const dialect of stores.dialects) {
  describe(dialect, { skip: stores.skip(dialect) }, () => {
    const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;

    test('authenticate by Bearer or Basic; users names unknown ids; ensureOperator rotates the key it is given', async () => {
      const store = await stores.open(dialect);
      const accounts = new Accounts({ db: store.db });
      const first = await accounts.ensureOperator('op@example.com', undefined, () => 'generated-key');
      assert.deepEqual(first, { created: true, key: 'generated-key' });
      const op = await accounts.authenticate(req('Bearer generated-key'));
      assert.equal(op?.email, 'op@example.com');
      assert.equal((await accounts.authenticate(req(`Basic ${Buffer.from(':generated-key').toString('base64')}`)))?.id, op!.id);
      assert.equal(await accounts.authenticate(req('Bearer wrong')), undefined);
      assert.equal(await accounts.authenticate(req()), undefined);
      assert.deepEqual(await accounts.ensureOperator('op@example.com', 'new-key', () => 'unused'), { created: false });
      assert.equal(await accounts.authenticate(req('Bearer generated-key')), undefined);
      assert.equal((await accounts.authenticate(req('Bearer new-key')))?.id, op!.id);
      const users = await accounts.users([op!.id, 'gone']);
      assert.deepEqual([...users.values()].map((u) => u.email), ['op@example.com', 'unknown']);
      await store.close();
    });
  });
}
