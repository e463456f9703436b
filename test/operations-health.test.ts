// The platform's own health, as an operator's monitoring sees it: liveness and readiness on the API
// port without a key, Prometheus metrics behind the scrape token, and readiness following HAProxy:
// killed outright (SIGKILL), the platform says it is unready, starts it again, and is ready and
// serving once more; a dyno exhausting its memory is killed (R15) in its own cgroup while the platform, in
// a cgroup of its own at a lower OOM score, stays up; and stopped the way its systemd unit stops it, even
// with one step of its stop failing, it leaves no dyno, add-on server, HAProxy, namespace, mount or cgroup.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appFiles } from './helpers/apps.ts';
import { until } from './helpers/wait.ts';
import { promisify } from 'node:util';
import { containerPrefix, lastingLeftovers } from './helpers/leftovers.ts';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';
import { containerScoreAbove, PLATFORM_OOM_SCORE_ADJ } from '../src/platform/oom.ts';
import { parseProcCgroup } from '../src/platform/own-cgroup.ts';
import { cgroupLayout } from '../src/runtime/index.ts';

const run = promisify(execFile);

describe('platform health', () => {
  const p = new TestPlatform();
  const token = `scrape-${Math.random().toString(36).slice(2)}`;
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-health-'));
    await p.start({ SLIPWAY_METRICS_TOKEN: token });
    assert.equal((await p.request('POST', '/apps', { name: 'watched' })).status, 201);
    const dir = join(work, 'watched');
    await makeRepo(dir, appFiles('watched-ok'));
    const push = await p.push(dir, 'watched');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('watched', 'watched-ok');
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${p.api}${path}`, { headers, signal: AbortSignal.timeout(10_000) });

  test('liveness and readiness answer without a key, readiness naming each part', async () => {
    const live = await get('/healthz');
    assert.equal(live.status, 200);
    const ready = await get('/readyz');
    const body = await ready.json();
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.deepEqual(Object.keys(body.checks).sort(), ['database', 'disk', 'haproxy', 'runtime', 'stack']);
    assert.ok(Object.values(body.checks).every((c) => (c as { ok: boolean }).ok));
    assert.equal((await fetch(`${p.api}/readyz`, { method: 'POST' })).status, 405);
  });

  test('metrics need the scrape token, and count what the platform did', async () => {
    assert.equal((await get('/metrics')).status, 401);
    assert.equal((await get('/metrics', { Authorization: `Bearer ${token}x` })).status, 401);
    assert.equal((await get('/metrics', { Authorization: `Bearer ${p.key}` })).status, 401, 'the operator API key is not the scrape token');
    await p.route('watched', '/');
    const res = await get('/metrics', { Authorization: `Bearer ${token}` });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^slipway_dynos\{state="up"\} 1$/m);
    assert.match(text, /^slipway_build_duration_seconds_count\{outcome="succeeded"\} 1$/m);
    assert.match(text, /^slipway_router_requests_total\{status="2xx"\} [1-9]/m);
    assert.match(text, /^slipway_api_requests_total\{method="POST",status="201"\} [1-9]/m);
    assert.match(text, /^slipway_log_lines_total [1-9]/m);
    assert.match(text, /^slipway_disk_used_ratio 0\.\d+/m);
    assert.match(text, /^slipway_process_resident_memory_bytes \d+/m);
  });

  test('readiness goes unready when HAProxy is killed and ready again once the platform restarted it', async () => {
    const pid = Number((await readFile(join(p.dataDir, 'router', 'haproxy.pid'), 'utf8')).split('\n')[0]);
    assert.ok(pid > 1);
    process.kill(pid, 'SIGKILL');
    let unready: { status: string; checks: Record<string, { ok: boolean; message?: string }> } | undefined;
    for (let i = 0; i < 200 && !unready; i++) {
      const r = await get('/readyz');
      if (r.status === 503) unready = await r.json();
      else await sleep(25);
    }
    assert.ok(unready, 'readyz never answered 503 after HAProxy was killed');
    assert.equal(unready.status, 'unready');
    assert.equal(unready.checks.haproxy?.ok, false);
    assert.match(unready.checks.haproxy?.message ?? '', /haproxy exited/);
    assert.equal(unready.checks.database?.ok, true, 'only the part that is down is named');
    let ready = false;
    for (let i = 0; i < 120 && !ready; i++) {
      ready = (await get('/readyz')).status === 200;
      if (!ready) await sleep(250);
    }
    assert.ok(ready, `readyz did not come back within 30 s:\n${p.output.split('\n').slice(-10).join('\n')}`);
    await p.waitFor('watched', 'watched-ok', '/', 30);
    assert.match(p.output, /haproxy restarted/);
  });

  const ownCgroups: string[] = [];
  test('a dyno past its memory limit is killed (R15) in its own cgroup; the platform, in its own at a lower OOM score, stays up', async () => {
    // The platform's own cgroup: named after its containers' prefix, holding the platform and no dyno.
    const name = `${containerPrefix(p.dataDir)}platform`;
    const layout = await cgroupLayout();
    const self = parseProcCgroup(await readFile(`/proc/${p.pid}/cgroup`, 'utf8'));
    for (const [hierarchy, mount] of layout === 'unified' ? [['', '']] : [['memory', 'memory'], ['pids', 'pids']]) {
      const at = self.get(hierarchy!) ?? '';
      assert.ok(at.endsWith(`/${name}`), `the platform is in ${at} (${hierarchy || 'v2'}), not a cgroup of its own`);
      ownCgroups.push(join('/sys/fs/cgroup', mount!, at));
    }
    const memoryCgroup = ownCgroups[0]!;
    const inOwn = (await readFile(join(memoryCgroup, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean).map(Number);
    assert.ok(inOwn.includes(p.pid));
    // Its OOM score: lowered, or (where root lacks CAP_SYS_RESOURCE) its containers' raised above it.
    const platformScore = Number((await readFile(`/proc/${p.pid}/oom_score_adj`, 'utf8')).trim());
    const lowered = platformScore === PLATFORM_OOM_SCORE_ADJ;
    if (!lowered) assert.match(p.output, /could not lower the platform's OOM score to -500: .*Dynos and builds run at \d+ instead/);

    // A one-off that allocates 64 MB at a time, touching every page, up to 4 GB: past standard-1X's 1 GB.
    const r = await p.request('POST', '/apps/watched/dynos', {
      attach: false,
      command: 'python3 -c "print(\'score\', open(\'/proc/self/oom_score_adj\').read().strip(), flush=True); a=[b\'x\' * (64 << 20) for _ in range(64)]; print(\'survived\', flush=True)"',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const dyno = (r.body.name as string).replace('.', '\\.');
    const logs = await p.waitForLog('watched', new RegExp(`heroku\\[${dyno}\\]: Process exited with status 137`), 120);
    assert.match(logs, new RegExp(`heroku\\[${dyno}\\]: Error R15 \\(Memory quota vastly exceeded\\)`));
    assert.doesNotMatch(logs, new RegExp(`app\\[${dyno}\\]: survived`));
    assert.match(logs, new RegExp(`app\\[${dyno}\\]: score ${lowered ? 0 : containerScoreAbove(platformScore)}$`, 'm'), 'the dyno ran at the score chosen for it');

    assert.ok(alive(p.pid), 'the platform is up');
    assert.equal((await get('/healthz')).status, 200);
    await p.waitFor('watched', 'watched-ok', '/', 30);
    // The kill was the dyno's cgroup's: the platform's saw none.
    if (layout !== 'unified') assert.match(await readFile(join(memoryCgroup, 'memory.oom_control'), 'utf8'), /^oom_kill 0$/m);
    else if (existsSync(join(memoryCgroup, 'memory.events'))) assert.match(await readFile(join(memoryCgroup, 'memory.events'), 'utf8'), /^oom_kill 0$/m);
  });

  test('stopped as the systemd unit stops it (SIGTERM to the platform alone, KillMode=mixed), even with a step failing, it leaves no dyno, add-on server, namespace, mount or cgroup', async () => {
    // A Redis add-on: a server of the platform's own, in its own session, and its network namespace.
    const addon = await p.request('POST', '/apps/watched/addons', { plan: 'heroku-redis' });
    assert.equal(addon.status, 201, JSON.stringify(addon.body));
    await p.waitFor('watched', 'rediss://', '/env/REDIS_URL', 60);
    // The web dyno alone: the previous case's one-off may still be being removed (its loop device is
    // waited for until the kernel frees it).
    await until(async () => (await p.containers()).length === 1, 30, 'the web dyno as the only container');
    // The fault: a build's state dir the platform cannot remove (a file marked immutable), so the stop's
    // first container step fails. The steps after it (dynos, add-ons, ...) still run.
    const stuck = join(p.dataDir, 'runtime', 'containers', `${containerPrefix(p.dataDir)}build-stuck`);
    await mkdir(stuck, { recursive: true });
    await writeFile(join(stuck, 'pinned'), '');
    await run('chattr', ['+i', join(stuck, 'pinned')]);
    try {
      const pid = p.pid;
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 240 && alive(pid); i++) await sleep(250);
      assert.ok(!alive(pid), 'the platform exited within 60 s');
      assert.match(p.output, /stopping builds failed/);
      assert.match(p.output, /stopping failed: builds \(see above\)/);
      assert.deepEqual(await p.containers(), [], 'no dyno left for systemd to kill');
      const haproxyPid = Number((await readFile(join(p.dataDir, 'router', 'haproxy.pid'), 'utf8')).split('\n')[0]);
      assert.ok(!alive(haproxyPid), 'HAProxy stopped with it');
      for (const dir of ownCgroups) assert.ok(!existsSync(dir), `the platform removed its own cgroup ${dir}`);
      assert.deepEqual(await lastingLeftovers(p.dataDir, pid), [], 'no process, namespace, mount or cgroup of its own');
    } finally {
      await run('chattr', ['-i', join(stuck, 'pinned')]);
    }
  });
});

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
