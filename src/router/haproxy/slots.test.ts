// Slot allocation: dynos arriving, leaving, restarting and a full backend, as the runtime API sees them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SLOTS_PER_APP } from './config.ts';
import { DRAIN_MS, SlotTable, type UpDyno } from './slots.ts';

const web = (n: number, port = 5000 + n): UpDyno => ({ dyno: `web.${n}`, host: `10.213.0.${n * 4 + 2}`, port });
const up = (...dynos: UpDyno[]) => new Map([['a1', dynos]]);
const loadedWith = (...dynos: UpDyno[]) => {
  const t = new SlotTable();
  t.loaded([{ id: 'a1', servers: t.assign('a1', dynos) }]);
  return t;
};
const ready = (t: SlotTable) => t.of('a1').filter((s) => s.state === 'ready').map((s) => `${s.name}=${s.dyno}@${s.addr}`);

test('a config gives dynos the lowest slots, and keeps the slot of a dyno that has one', () => {
  const t = loadedWith(web(1), web(2));
  assert.deepEqual(ready(t), ['s1=web.1@10.213.0.6:5001', 's2=web.2@10.213.0.10:5002']);
  // web.1 left, web.3 arrived: web.2 keeps s2, web.3 takes s1 (lowest unused) in the next config.
  assert.deepEqual(t.assign('a1', [web(2), web(3)]).map((s) => `${s.slot}=${s.dyno}`), ['s2=web.2', 's1=web.3']);
  assert.equal(t.of('a1').length, SLOTS_PER_APP);
});

test('nothing changed: no command', () => {
  const t = loadedWith(web(1));
  assert.deepEqual(t.update(up(web(1)), 1000), { commands: [], draining: false });
});

test('an arriving dyno takes a free slot without a reload', () => {
  const t = loadedWith(web(1));
  const r = t.update(up(web(1), web(2)), 1000);
  assert.deepEqual(r.commands, ['set server app-a1/s2 addr 10.213.0.10 port 5002', 'set server app-a1/s2 state ready']);
  assert.equal(t.dynoOf('app-a1', 's2'), 'web.2');
});

test('a leaving dyno\'s slot goes to maintenance at once, drains, and only then is free', () => {
  const t = loadedWith(web(1), web(2));
  const r = t.update(up(web(1)), 10_000);
  assert.deepEqual(r, { commands: ['set server app-a1/s2 state maint'], draining: true });
  assert.equal(t.of('a1')[1]!.state, 'draining');
  assert.deepEqual(t.update(up(web(1)), 10_000 + DRAIN_MS - 1), { commands: [], draining: true });
  assert.deepEqual(t.update(up(web(1)), 10_000 + DRAIN_MS), { commands: [], draining: false });
  assert.equal(t.of('a1')[1]!.state, 'free');
});

test('a restarted dyno (new address, same name) gets another slot: a slot is never re-pointed in place', () => {
  const t = loadedWith(web(1));
  const r = t.update(up(web(1, 6001)), 5000);
  assert.deepEqual(r.commands, [
    'set server app-a1/s1 state maint',
    'set server app-a1/s2 addr 10.213.0.6 port 6001', 'set server app-a1/s2 state ready',
  ]);
  assert.equal(t.dynoOf('app-a1', 's2'), 'web.1');
});

test('free slots are reused oldest first, so a slot rests as long as it can', () => {
  const t = loadedWith(web(1), web(2), web(3));
  t.update(up(web(2), web(3)), 1000); // s1 drains
  t.update(up(web(3)), 1500); // s2 drains
  t.update(up(web(3)), 1000 + DRAIN_MS); // s1 free at 3000
  t.update(up(web(3)), 1500 + DRAIN_MS); // s2 free at 3500
  // All never-used slots have since=0: the first of them (s4) comes before s1 and s2.
  const r = t.update(up(web(3), web(4)), 4000);
  assert.deepEqual(r.commands, ['set server app-a1/s4 addr 10.213.0.18 port 5004', 'set server app-a1/s4 state ready']);
});

test('a full backend takes the slot draining longest; with none, the dyno waits', () => {
  const all = Array.from({ length: SLOTS_PER_APP }, (_, i) => web(i + 1));
  const t = loadedWith(...all);
  const extra = web(SLOTS_PER_APP + 1, 9999);
  assert.deepEqual(t.update(up(...all, extra), 1000).commands, [], 'no slot: it waits');
  const r = t.update(up(...all.slice(1), extra), 2000);
  assert.deepEqual(r.commands, [
    'set server app-a1/s1 state maint',
    `set server app-a1/s1 addr ${extra.host} port 9999`, 'set server app-a1/s1 state ready',
  ]);
});

test('an app gone from the routes has every slot drained', () => {
  const t = loadedWith(web(1), web(2));
  const r = t.update(new Map(), 1000);
  assert.deepEqual(r.commands, ['set server app-a1/s1 state maint', 'set server app-a1/s2 state maint']);
});
