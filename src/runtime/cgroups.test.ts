// Unit tests of the pure cgroup readers: memory.stat figures, /proc stat states, the OOM verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMemoryStat, procState, wasOomKilled } from './cgroups.ts';

test('memory.stat: rss + mapped_file, cache, swap and paging from the total_ lines', () => {
  const text = [
    'cache 100', 'rss 200', 'mapped_file 300', 'swap 400', 'pgpgin 500', 'pgpgout 600',
    'total_cache 10141696', 'total_rss 4460544', 'total_rss_huge 0', 'total_shmem 9068544', 'total_mapped_file 7462912',
    'total_swap 4096', 'total_pgpgin 64351', 'total_pgpgout 60803', '',
  ].join('\n');
  assert.deepEqual(parseMemoryStat(text), {
    rssBytes: 4460544 + 7462912, cacheBytes: 10141696, swapBytes: 4096, pgpgin: 64351, pgpgout: 60803,
  });
});

test('memory.stat: local lines stand in for missing total_ ones; absent figures are 0 (no swap accounting)', () => {
  assert.deepEqual(parseMemoryStat('cache 1\nrss 2\nmapped_file 3\npgpgin 4\npgpgout 5\n'), {
    rssBytes: 5, cacheBytes: 1, swapBytes: 0, pgpgin: 4, pgpgout: 5,
  });
  assert.deepEqual(parseMemoryStat(''), { rssBytes: 0, cacheBytes: 0, swapBytes: 0, pgpgin: 0, pgpgout: 0 });
});

test('process state: the letter after the command name, which may hold spaces and parentheses', () => {
  assert.equal(procState('1234 (node) R 1 1234 1234 0 -1'), 'R');
  assert.equal(procState('99 (my (odd) name) S 1 99'), 'S');
  assert.equal(procState('7 (bash) Z 1 7'), 'Z');
  assert.equal(procState(''), undefined);
  assert.equal(procState('garbage'), undefined);
});

test('OOM verdict: the oom_kill counter when the kernel has one, else failcnt plus SIGKILL', () => {
  assert.equal(wasOomKilled({ oomKills: 1 }, 137), true);
  assert.equal(wasOomKilled({ oomKills: 0, failcnt: 5 }, 137), false);
  assert.equal(wasOomKilled({ failcnt: 5 }, 137), true);
  assert.equal(wasOomKilled({ failcnt: 5 }, 1), false);
  assert.equal(wasOomKilled({}, 137), false);
});
