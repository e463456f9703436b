// The dyno metrics history: samples folded per app, process type and minute, stored when the minute
// ends, served with the minute in progress.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../store/index.ts';
import { DynoMetricsHistory } from './metrics-history.ts';

const MB = 1024 * 1024;

test('memory and load per type and minute, against the quota, kept across the minute boundary', async () => {
  const { db, close } = openStore(':memory:');
  await db.insertInto('accounts').values({ id: 'u', email: 'u@x', api_key_hash: 'h', created_at: '', updated_at: '' }).execute();
  await db.insertInto('apps').values({ id: 'a', name: 'a', owner_id: 'u', stack: 's', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: '', updated_at: '' }).execute();
  let now = Date.parse('2026-12-07T12:00:10Z');
  const errors: string[] = [];
  const h = new DynoMetricsHistory({ db, onError: (m) => errors.push(m), now: () => now });
  h.record('a', 'web', 'web.1', 100 * MB, 512 * MB, 0.5);
  h.record('a', 'web', 'web.2', 300 * MB, 512 * MB, 1.5);
  h.record('a', 'worker', 'worker.1', 50 * MB, 1024 * MB, 0.1);
  const live = await h.since('a', '2026-12-07T11:00:00Z');
  assert.deepEqual(live.find((m) => m.type === 'web'), {
    minute: '2026-12-07T12:00:00.000Z', type: 'web', memory_mb: 200, memory_max_mb: 300, quota_mb: 512, load: 1, dynos: 2,
  });
  now += 60_000;
  h.record('a', 'web', 'web.1', 120 * MB, 512 * MB, 0.2);
  h.flush();
  await new Promise((r) => setTimeout(r, 20));
  const all = await h.since('a', '2026-12-07T11:00:00Z');
  assert.deepEqual(all.map((m) => `${m.minute.slice(11, 16)} ${m.type} ${m.memory_mb}`).sort(), ['12:00 web 200', '12:00 worker 50', '12:01 web 120']);
  assert.equal((await db.selectFrom('dyno_metrics').selectAll().execute()).length, 2, 'the ended minutes are stored; the current one is in memory');
  assert.deepEqual(await h.since('other', '2026-12-07T11:00:00Z'), []);
  assert.deepEqual(errors, []);
  await close();
});
