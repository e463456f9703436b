// The platform's protection from the kernel's OOM killer: its capability check, the score containers get
// when the platform cannot lower its own, and the real attempt on this machine.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { containerScoreAbove, hasCapSysResource, PLATFORM_OOM_SCORE_ADJ, protectFromOom } from './oom.ts';

test('CAP_SYS_RESOURCE is read from the effective set', () => {
  assert.equal(hasCapSysResource('CapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n'), true);
  // Every capability but bit 24: what a container that withholds CAP_SYS_RESOURCE from root shows.
  assert.equal(hasCapSysResource('CapPrm:\t000001ffffffffff\nCapEff:\t000001fffeffffff\n'), false);
  assert.equal(hasCapSysResource('Name:\tnode\n'), undefined);
});

test('containers run as far above a platform that could not lower its score as it would have gone below 0', () => {
  assert.equal(containerScoreAbove(0), -PLATFORM_OOM_SCORE_ADJ);
  assert.equal(containerScoreAbove(300), 800);
  assert.equal(containerScoreAbove(900), 1000, 'the kernel\'s maximum');
  assert.equal(containerScoreAbove(-200), 500, 'a score already below 0 keeps containers at 500');
});

test('on this machine: the score is lowered, or containers go above it and the reason is named', async () => {
  const r = await protectFromOom();
  const now = Number((await readFile('/proc/self/oom_score_adj', 'utf8')).trim());
  if (process.getuid?.() !== 0) return assert.deepEqual(r, { containerScore: 0 });
  if (!r.problem) {
    assert.equal(now, PLATFORM_OOM_SCORE_ADJ);
    assert.equal(r.containerScore, 0);
    return;
  }
  assert.notEqual(now, PLATFORM_OOM_SCORE_ADJ);
  assert.equal(r.containerScore, containerScoreAbove(now));
  const cap = hasCapSysResource(await readFile('/proc/self/status', 'utf8'));
  if (cap === false) assert.match(r.problem, /lacks CAP_SYS_RESOURCE/);
  assert.match(r.problem, new RegExp(`Dynos and builds run at ${r.containerScore} instead`));
});
