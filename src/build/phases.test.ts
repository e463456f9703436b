import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBreakdown, parsePhases, Phases, uncovered } from './phases.ts';

test('phases are recorded with their times, also when the step throws', async () => {
  const p = new Phases();
  await p.time('checkout', async () => undefined);
  await assert.rejects(p.time('compile heroku/nodejs', async () => { throw new Error('status 1'); }));
  assert.deepEqual(p.list.map((x) => x.name), ['checkout', 'compile heroku/nodejs']);
  assert.ok(p.list.every((x) => x.end >= x.start));
  assert.deepEqual(parsePhases(JSON.stringify(p)), p.list);
  assert.deepEqual(parsePhases('{"not":"a list"}'), []);
  assert.deepEqual(parsePhases(null), []);
});

test('the breakdown lists phases by start and what no phase covers', () => {
  const phases = [
    { name: 'slug pack', start: 1500, end: 1800 },
    { name: 'receive', start: 1000, end: 1100 },
    { name: 'checkout', start: 1100, end: 1200 },
    { name: 'compile x', start: 1250, end: 1450 },
    { name: 'container start (compile x)', start: 1250, end: 1300 },
  ];
  assert.equal(uncovered(phases, 1000, 1800), 100);
  const lines = formatBreakdown(phases);
  assert.match(lines[0]!, /^ {2}receive +at +0 ms +took +100 ms$/);
  assert.match(lines[3]!, /container start \(compile x\) +at +250 ms +took +50 ms/);
  assert.match(lines.at(-2)!, /not in any phase +took +100 ms/);
  assert.match(lines.at(-1)!, /total +took +800 ms/);
});
