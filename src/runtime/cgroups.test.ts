// Unit tests of the cgroup readers: memory.stat figures, /proc stat states, the OOM verdict, and each
// layout's paths. The v2 readers run on recorded files (fixtures/cgroup2: a unified root in the kernel's
// own formats, as Debian 12's 6.1 kernel writes them), since this machine mounts the hybrid layout; its
// v1 readers are exercised for real by runc.test.ts and the platform's tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  cgroupDirs, cgroupLayout, hasMemsw, leftoverCgroupIds, parseIoStat, parseMemoryStat, parseMemoryStatV2, procState,
  readMemoryRecord, readStats, wasOomKilled,
} from './cgroups.ts';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const V2 = fixture('cgroup2');
const HYBRID = fixture('cgroup-hybrid');
const V1 = fixture('cgroup-v1');
const PROC = fixture('proc');

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

test('layout: a cgroup2 root is unified, cgroup2 at unified/ beside v1 controllers is hybrid, else v1', async () => {
  assert.equal(await cgroupLayout(V2), 'unified');
  assert.equal(await cgroupLayout(HYBRID), 'hybrid');
  assert.equal(await cgroupLayout(V1), 'v1');
  assert.equal(await cgroupLayout(fixture('no-such-root')), 'v1');
});

test('v2: a sample reads anon + file_mapped, file, swap.current, io.stat pages and the runnable threads', async () => {
  assert.deepEqual(await readStats('slipway-00c0ffee-dyno-web', V2, PROC), {
    rssBytes: 4460544 + 7462912,
    cacheBytes: 10141696,
    swapBytes: 8192,
    pgpgin: Math.floor((1459200 + 40960) / 4096),
    pgpgout: Math.floor(314773504 / 4096),
    // cgroup.threads lists 4242 (R), 4243 (R), 4244 (S) and 4250, which has exited.
    runnable: 2,
  });
});

test('v2: a container whose cgroup is gone has no sample', async () => {
  assert.equal(await readStats('slipway-00c0ffee-dyno-gone', V2, PROC), undefined);
});

test('v2: memory.events gives the OOM record: oom_kill, and max as the limit-hit count', async () => {
  const oom = await readMemoryRecord('slipway-00c0ffee-dyno-oom', V2);
  assert.deepEqual(oom, { oomKills: 1, failcnt: 1187 });
  assert.equal(wasOomKilled(oom, 137), true);
  const web = await readMemoryRecord('slipway-00c0ffee-dyno-web', V2);
  assert.deepEqual(web, { oomKills: 0, failcnt: 0 });
  assert.equal(wasOomKilled(web, 137), false);
  assert.deepEqual(await readMemoryRecord('slipway-00c0ffee-dyno-gone', V2), {});
});

test('v2: the container is one directory under the root; leftovers are found there, not in other cgroups', async () => {
  assert.deepEqual(await cgroupDirs('slipway-00c0ffee-dyno-web', V2), [`${V2}/slipway/slipway-00c0ffee-dyno-web`]);
  assert.deepEqual(await cgroupDirs('slipway-00c0ffee-dyno-gone', V2), []);
  assert.deepEqual((await leftoverCgroupIds('slipway-00c0ffee-', V2)).sort(), ['slipway-00c0ffee-dyno-oom', 'slipway-00c0ffee-dyno-web']);
  assert.equal(await hasMemsw(V2), true, 'init.scope has memory.swap.max: swap accounting is on');
  assert.equal(await hasMemsw(fixture('cgroup2-noswap')), false, 'no memory.swap.max anywhere: no swap accounting');
});

test('hybrid and v1: the container has a directory per controller; the OOM record is memory.oom_control', async () => {
  assert.deepEqual((await cgroupDirs('slipway-00c0ffee-dyno-web', HYBRID)).sort(), [
    `${HYBRID}/memory/slipway/slipway-00c0ffee-dyno-web`,
    `${HYBRID}/pids/slipway/slipway-00c0ffee-dyno-web`,
    `${HYBRID}/unified/slipway/slipway-00c0ffee-dyno-web`,
  ]);
  assert.deepEqual(await leftoverCgroupIds('slipway-00c0ffee-', HYBRID), ['slipway-00c0ffee-dyno-web']);
  assert.deepEqual(await readMemoryRecord('slipway-00c0ffee-dyno-web', HYBRID), { oomKills: 1, failcnt: 42 });
  assert.deepEqual(await readMemoryRecord('slipway-00c0ffee-dyno-web', V1), { failcnt: 3 });
  assert.equal(await hasMemsw(HYBRID), true);
  assert.equal(await hasMemsw(V1), false);
});

test('v2 memory.stat and io.stat parsing: absent files and lines count 0', () => {
  assert.deepEqual(parseMemoryStatV2('anon 10\nfile 20\nfile_mapped 5\n'), {
    rssBytes: 15, cacheBytes: 20, swapBytes: 0, pgpgin: 0, pgpgout: 0,
  });
  assert.deepEqual(parseIoStat(''), { rbytes: 0, wbytes: 0 });
  assert.deepEqual(parseIoStat('8:0 rbytes=8192 wbytes=4096 rios=2 wios=1 dbytes=0 dios=0\n8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n'), {
    rbytes: 12288, wbytes: 4096,
  });
});
