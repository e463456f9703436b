// Idling and daily cycling on their timer, with short periods: which apps sleep, which dynos cycle, and
// what a wake does. Dynos are stand-ins recording what they are asked (their real stop is dyno.ts's,
// covered by the integration tests).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newAppEntry, type AppEntry } from './app-entry.ts';
import type { Dyno } from './dyno.ts';
import { Idling } from './idling.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeDyno(name: string, state: Dyno['state'] = 'up') {
  const asked: string[] = [];
  const d = {
    name, state, restartRequested: false, spec: { type: name.split('.')[0], oneOff: false },
    stop: (o?: { idle?: boolean }) => { asked.push(o?.idle ? 'idle' : 'stop'); return Promise.resolve(); },
  };
  return { dyno: d as unknown as Dyno, asked };
}

function setup(apps: AppEntry[], o: { idleAfterMs: number; cycleMs: number }) {
  const lines: string[] = [];
  const woken: string[] = [];
  const replaced = new Set<Dyno>();
  const idling = new Idling({
    apps: () => apps, log: (app, dyno, line) => lines.push(`${app.name} ${dyno}: ${line}`), wake: (id) => woken.push(id),
    replace: (d) => replaced.add(d), isReplaced: (d) => replaced.has(d),
  }, { ...o, cycleJitterMs: 0 });
  return { idling, lines, woken };
}

function app(name: string, size: string, quantity: number, dynos: Dyno[]): AppEntry {
  const a = newAppEntry(name, name);
  Object.assign(a, { webSize: size, webQuantity: quantity, lastRequestAt: Date.now() });
  for (const d of dynos) a.dynos.set(d.name, d);
  return a;
}

test('only an app on exactly one eco web dyno sleeps, and only after the idle time without a request', async () => {
  const eco = fakeDyno('web.1');
  const busy = fakeDyno('web.1');
  const standard = fakeDyno('web.1');
  const two = [fakeDyno('web.1'), fakeDyno('web.2')];
  const apps = [app('eco', 'eco', 1, [eco.dyno]), app('busy', 'eco', 1, [busy.dyno]), app('std', 'standard-1x', 1, [standard.dyno]), app('two', 'eco', 2, two.map((x) => x.dyno))];
  const { idling } = setup(apps, { idleAfterMs: 200, cycleMs: 3_600_000 });
  idling.start();
  try {
    const until = Date.now() + 400;
    while (Date.now() < until) { apps[1]!.lastRequestAt = Date.now(); await sleep(20); }
  } finally {
    idling.stop();
  }
  assert.deepEqual(eco.asked.slice(0, 1), ['idle']);
  assert.deepEqual([busy.asked, standard.asked, two[0]!.asked, two[1]!.asked], [[], [], [], []]);
});

test('a dyno is cycled once its time has come, as a requested restart', async () => {
  const old = fakeDyno('worker.1');
  const fresh = fakeDyno('worker.2');
  const apps = [app('cyc', 'standard-1x', 0, [old.dyno, fresh.dyno])];
  const { idling, lines } = setup(apps, { idleAfterMs: 3_600_000, cycleMs: 150 });
  idling.started(old.dyno);
  idling.start();
  try {
    await sleep(400);
  } finally {
    idling.stop();
  }
  assert.deepEqual(old.asked, ['stop'], 'cycled once');
  assert.equal(old.dyno.restartRequested, true);
  assert.deepEqual(fresh.asked, [], 'a dyno never started here is not cycled');
  assert.deepEqual(lines, ['cyc worker.1: Cycling']);
});

test('a request for a sleeping app: the idle dyno is dropped for a fresh boot, once', () => {
  const asleep = fakeDyno('web.1', 'idle');
  const a = app('sleepy', 'eco', 1, [asleep.dyno]);
  const { idling, lines, woken } = setup([a], { idleAfterMs: 1000, cycleMs: 3_600_000 });
  idling.unidle(a, asleep.dyno);
  idling.unidle(a, asleep.dyno);
  assert.equal(a.dynos.size, 0);
  assert.deepEqual(woken, ['sleepy']);
  assert.deepEqual(lines, ['sleepy web.1: Unidling', 'sleepy web.1: State changed from idle to starting']);
});
