// The Scheduler's decisions on a real store: runs missed while the platform was down are reported and
// not replayed, a job whose run still goes on is skipped, and the next run time is written before a run.
// The one-off dyno is a stand-in here (its exit is ours to decide); real runs are in test/lifecycle.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { now, openStore, type OpenedStore } from '../store/index.ts';
import { Scheduler } from './index.ts';

let dir: string;
let store: OpenedStore;
const APP = 'a0000000-0000-4000-8000-000000000002';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-scheduler-'));
  store = openStore(join(dir, 'db'));
  const t = now();
  await store.db.insertInto('accounts').values({ id: 'u1', email: 'u@example.com', api_key_hash: 'x', created_at: t, updated_at: t } as never).execute();
  await store.db.insertInto('apps').values({ id: APP, name: 'ticking', owner_id: 'u1', stack: 'slipway-12', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
  await store.db.insertInto('addons').values({ id: 'ad1', name: 'scheduler-x', app_id: APP, service: 'scheduler', plan: 'standard', state: 'provisioned', config: '{}', resource: '{}', created_at: t, updated_at: t }).execute();
  await store.db.insertInto('addon_attachments').values({ id: 'at1', addon_id: 'ad1', app_id: APP, name: 'SCHEDULER', namespace: null, created_at: t, updated_at: t }).execute();
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('missed runs are reported, not replayed; a run still going is never doubled', async () => {
  const runs: { command: string; end: (code: number) => void }[] = [];
  const lines: string[] = [];
  const s = new Scheduler({
    db: store.db, minuteMs: 1000, log: (_app, m) => lines.push(m),
    run: async (_app, command) => {
      let end!: (code: number) => void;
      const exitStatus = new Promise<number>((r) => (end = r));
      runs.push({ command, end });
      return { name: `scheduler.${1000 + runs.length}`, exitStatus, stop: () => end(143) };
    },
  });
  const job = await s.add(APP, { command: 'bin/tick', cron: '* * * * *' });
  // The platform was down for five (test) minutes: the job was due five slots ago.
  const t = Date.now();
  await store.db.updateTable('scheduler_jobs').set({ next_run_at: new Date(t - 5000).toISOString() }).where('id', '=', job.id).execute();
  await s.tick();
  assert.equal(runs.length, 1, 'one run now, no burst');
  assert.match(lines.join('\n'), /Skipped [456] runs of "bin\/tick" missed while the platform was down/);
  const stored = await s.find(APP, job.id);
  assert.ok(Date.parse(stored.next_run_at) > t, 'the next run is after now');
  // Due again while the first run goes on: skipped, said so.
  await store.db.updateTable('scheduler_jobs').set({ next_run_at: new Date(Date.now() - 10).toISOString() }).where('id', '=', job.id).execute();
  await s.tick();
  assert.equal(runs.length, 1);
  assert.match(lines.at(-1)!, /Skipped a run of "bin\/tick": its previous run \(scheduler\.1001\) is still going/);
  runs[0]!.end(0);
  await new Promise((r) => setTimeout(r, 200));
  await store.db.updateTable('scheduler_jobs').set({ next_run_at: new Date(Date.now() - 10).toISOString() }).where('id', '=', job.id).execute();
  await s.tick();
  assert.equal(runs.length, 2, 'runs again once the last one ended');
  await s.stop();
  await assert.rejects(s.add(APP, { command: 'x', every: '1h', cron: '* * * * *' }), /either --every/);
  await assert.rejects(s.add(APP, { command: ' ', every: '1h' }), /needs a command/);
});
