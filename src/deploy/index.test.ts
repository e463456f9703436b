// The deploy path's sequencing over a narrow fake builder and release phase (the real build, release
// and release phase are exercised end to end by test/deploy, test/releases and test/slugs-builds): what
// a pusher and a Builds API client see, what the build's stored output keeps, and the per-app turns.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BuildOutcome, BuildRequest } from '../build/index.ts';
import { OutputStore } from '../releases/output.ts';
import type { BuildsTable } from '../store/schema.ts';
import { Deployer } from './index.ts';
import { AppQueue } from './queue.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'slipway-deploy-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

const app = { id: 'a1', name: 'demo' };
const user = { id: 'u1', email: 'op@example.com' };
const row = (id: string, status: BuildsTable['status']) => ({ id, status } as BuildsTable);

/** A builder that prints a few lines and ends as told; a release phase that prints and settles as told. */
function setup(o: { build: 'succeeded' | 'failed' | 'throws'; phase?: 'succeeded' | 'failed' }) {
  const buildOutputs = new OutputStore(join(dir, `builds-${Math.random()}`));
  const releaseOutputs = new OutputStore(join(dir, `releases-${Math.random()}`));
  const failed: string[] = [];
  const deployer = new Deployer({
    buildOutputs, releaseOutputs, settled: async () => o.phase ?? 'succeeded',
    builder: {
      record: async (r) => row(r.id, 'pending'),
      fail: async (id) => { failed.push(id); },
      savePhases: async () => undefined,
      build: async (req: BuildRequest): Promise<BuildOutcome> => {
        if (o.build === 'throws') throw new Error('database is locked');
        // The Builds API's checkout fetches its URL: here one with credentials, which fetch refuses
        // before connecting; only its printed line matters.
        await req.checkout('/nowhere', req.output).catch(() => undefined);
        req.output('-----> Building on the Slipway-12 stack\n');
        if (o.build === 'failed') return { build: row(req.id!, 'failed') };
        req.output('       Released v2\n');
        if (o.phase) {
          await releaseOutputs.open('rel2');
          releaseOutputs.write('rel2', 'migrating...\n');
          await releaseOutputs.close('rel2');
        }
        return { build: row(req.id!, 'succeeded'), release: { id: 'rel2', version: 2, pending: o.phase !== undefined } };
      },
    },
  });
  return { deployer, buildOutputs, failed };
}

test('a push: Heroku\'s push lines around the build and the release phase; the stored output is the build\'s', async () => {
  const { deployer, buildOutputs } = setup({ build: 'succeeded', phase: 'succeeded' });
  let seen = '';
  const r = await deployer.deploy({ id: 'b1', app, user, commit: 'abc', gitPush: true, output: (t) => (seen += t), checkout: async () => undefined });
  assert.equal(r.ok, true);
  assert.equal(seen, '-----> Building on the Slipway-12 stack\n       Released v2\nVerifying deploy... done.\nRunning release command...\n\nmigrating...\nWaiting for release.... done.\n');
  assert.equal(await buildOutputs.read('b1'), '-----> Building on the Slipway-12 stack\n       Released v2\n');
});

test('a push whose release command fails is declined, naming the release that keeps running', async () => {
  const { deployer } = setup({ build: 'succeeded', phase: 'failed' });
  let seen = '';
  const r = await deployer.deploy({ app, user, commit: 'abc', gitPush: true, output: (t) => (seen += t), checkout: async () => undefined });
  assert.equal(r.ok, false);
  assert.match(seen, /Waiting for release\.\.\.\. failed\.\n\n !     Release v2 failed; demo keeps running its previous release\.\n !     Its output: slipway releases:output v2 -a demo\n/);
});

test('a failed build: the push is rejected; a platform error fails the build and says so', async () => {
  let seen = '';
  const rejected = await setup({ build: 'failed' }).deployer.deploy({ app, user, commit: 'abc', gitPush: true, output: (t) => (seen += t), checkout: async () => undefined });
  assert.equal(rejected.ok, false);
  assert.match(seen, /Verifying deploy\.\.\.\n\n!\tPush rejected to demo\.\n\n$/);
  const { deployer, failed, buildOutputs } = setup({ build: 'throws' });
  seen = '';
  const broken = await deployer.deploy({ id: 'b9', app, user, commit: 'abc', output: (t) => (seen += t), checkout: async () => undefined });
  assert.equal(broken.ok, false);
  assert.equal(seen, ' !     Build failed: platform error (database is locked).\n');
  assert.deepEqual(failed, ['b9']);
  assert.equal(await buildOutputs.read('b9'), seen, 'a Builds API client reads it in the stream');
});

test('the Builds API: answered pending at once; the stream carries the fetch, the build and the release phase', async () => {
  const { deployer, buildOutputs } = setup({ build: 'succeeded', phase: 'failed' });
  const b = await deployer.buildFromSource({ app, user, source: { url: 'http://user:secret@127.0.0.1:1/app.tgz?sig=x', checksum: null, version: 'v1.2', version_description: null } });
  assert.equal(b.status, 'pending');
  let streamed = '';
  await buildOutputs.follow(b.id, (t) => (streamed += t));
  assert.equal(streamed, '-----> Fetching source from http://127.0.0.1:1/app.tgz\n-----> Building on the Slipway-12 stack\n       Released v2\nRunning release command...\n\nmigrating...\nWaiting for release.... failed.\n');
});

test('deploys of one app take turns; another app\'s do not wait', async () => {
  const q = new AppQueue();
  const events: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  const first = q.exclusive('a1', async () => { events.push('a1 first starts'); await held; events.push('a1 first ends'); });
  const second = q.exclusive('a1', async () => { events.push('a1 second starts'); });
  await q.exclusive('a2', async () => { events.push('a2 runs'); });
  // A push holds its app past its work, until git is done with the ref.
  let gitDone!: () => void;
  const waiting = q.enter('a1', new Promise<void>((r) => { gitDone = r; }));
  assert.ok(waiting, 'the push is told it waits');
  release();
  await Promise.all([first, second, waiting]);
  const third = q.exclusive('a1', async () => { events.push('a1 third starts'); });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(events, ['a1 first starts', 'a2 runs', 'a1 first ends', 'a1 second starts']);
  gitDone();
  await third;
  assert.equal(events.at(-1), 'a1 third starts');
});
