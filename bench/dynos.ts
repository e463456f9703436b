// Dyno benchmarks (issue #3), each next to a reference measured in the same run:
// - start latency: restart of a web dyno until the router answers from the new one, vs the same app
//   started as a bare process on the host until it answers;
// - memory per idle dyno: the dyno's cgroup usage plus its supervisor (conmon), vs the bare process's RSS;
// - density: request latency through the router and memory as idle web dynos are added;
// - convergence: time from a scale request until all dynos are up, as the formation grows.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, makeRepo, sleep, type TestPlatform } from '../test/helpers/platform.ts';

// Each process answers an id of its own, so the start-latency loop tells the new dyno's answer from the old one's.
const APP = "const id = Math.random().toString(36).slice(2); require('http').createServer((q, s) => s.end('ok ' + process.env.DYNO + ' ' + id)).listen(process.env.PORT)\n";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const MB = 1024 * 1024;

function answer(port: number, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: host ? { Host: host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { if (body.length < 1024) body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.setTimeout(5000, () => req.destroy());
    req.end();
  });
}

const get = async (port: number, host?: string): Promise<number> => (await answer(port, host)).status;

async function timeUntilOk(probe: () => Promise<number>, limitMs = 60_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if ((await probe()) === 200) return performance.now() - t0;
    await sleep(10);
  }
  throw new Error('no answer within the limit');
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/**
 * Memory of this platform's dynos as a process's RSS counts it: each container's resident anonymous and
 * mapped-file pages (cgroup memory.stat total_rss + total_mapped_file; page cache left out, like RSS
 * does) plus its supervisor's RSS (conmon; a `runc run` in versions before it).
 */
async function dynoMemory(p: TestPlatform): Promise<{ count: number; bytes: number }> {
  const ids = (await p.containers()).filter((c) => c.includes('-dyno-'));
  let bytes = 0;
  for (const id of ids) {
    const stat = await readFile(`/sys/fs/cgroup/memory/slipway/${id}/memory.stat`, 'utf8').catch(() => '');
    const field = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    bytes += field('total_rss') + field('total_mapped_file');
  }
  const { execFile } = await import('node:child_process');
  // Each dyno's resident supervisor: its conmon monitor (or, before it, a foreground `runc run`).
  const root = join(p.dataDir, 'runtime', 'runc');
  const pids = await new Promise<string>((r) => execFile('pgrep', ['-f', `(^runc --root ${root} |/conmon .*--runtime-arg ${root} )`], (_e, out) => r(out)));
  for (const pid of pids.split('\n').filter(Boolean)) bytes += await rssOf(Number(pid)).catch(() => 0);
  return { count: ids.length, bytes };
}

export async function dynoBench(p: TestPlatform, work: string): Promise<void> {
  const dir = join(work, 'dynobench');
  await makeRepo(dir, { 'package.json': '{"name":"dynobench","engines":{"node":"20.x"},"scripts":{"start":"node index.js"}}', 'index.js': APP });
  await p.request('POST', '/apps', { name: 'dynobench' });
  const push = await p.push(dir, 'dynobench');
  if (push.code !== 0) throw new Error(push.output);
  const host = 'dynobench.localhost';
  await timeUntilOk(() => get(p.routerPort, host));

  // Start latency: from the dyno's `Starting process` line (its container being launched) to the first
  // answer through the router from the new process, over three restarts. The new dyno is seen through
  // the router alone: polling the API meanwhile (every 5 ms, as this loop once did) put the API's own
  // CPU on the two cores the dyno boots on, and measured that too (docs/decisions.md, "What the dyno
  // bench's start latency measures").
  const dyno: number[] = [];
  for (let i = 0; i < 3; i++) {
    const old = (await answer(p.routerPort, host)).body;
    await p.request('DELETE', '/apps/dynobench/dynos/web.1');
    let answered = 0;
    for (const t0 = Date.now(); !answered && Date.now() - t0 < 60_000; await sleep(5)) {
      const r = await answer(p.routerPort, host);
      if (r.status === 200 && r.body !== old) answered = Date.now();
    }
    if (!answered) throw new Error('the restarted dyno did not answer through the router within 60 s');
    const logs = await p.logs('dynobench', { lines: 50 });
    const launched = [...logs.matchAll(/^(\S+) heroku\[web\.1\]: Starting process/gm)].at(-1)?.[1];
    if (!launched) throw new Error('no `Starting process` line for the restarted dyno');
    dyno.push(answered - Date.parse(launched));
  }
  const bare: number[] = [];
  let bareRss = 0;
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const t0 = performance.now();
    const proc = spawn(process.execPath, ['-e', APP], { env: { PORT: String(port), DYNO: 'bare.1' }, stdio: 'ignore' });
    await timeUntilOk(() => get(port));
    bare.push(performance.now() - t0);
    await sleep(300);
    bareRss = await rssOf(proc.pid!);
    proc.kill('SIGKILL');
  }
  console.log(`dyno start (restart → first answer via router), median of 3: ${median(dyno).toFixed(0)} ms`);
  console.log(`bare process start (spawn → first answer), median of 3:         ${median(bare).toFixed(0)} ms`);
  console.log(`ratio: ${(median(dyno) / median(bare)).toFixed(1)}x`);

  // Memory per idle dyno.
  await sleep(1000);
  const one = await dynoMemory(p);
  console.log(`memory of one idle dyno (cgroup + supervisor): ${(one.bytes / MB).toFixed(1)} MB; bare process RSS: ${(bareRss / MB).toFixed(1)} MB; ratio: ${(one.bytes / bareRss).toFixed(2)}x`);

  if (process.env.BENCH_ONLY === 'deploy') return;
  // Density and convergence (other apps' dynos, e.g. the deploy benchmark's, stay as they are).
  const baseline = (await p.containers()).filter((c) => c.includes('-dyno-')).length;
  for (const n of [5, 10, 20, 40, 80]) {
    const t0 = performance.now();
    await p.request('PATCH', '/apps/dynobench/formation/web', { quantity: n });
    for (;;) {
      const ds = (await p.request('GET', '/apps/dynobench/dynos')).body as { state: string }[];
      if (ds.filter((d) => d.state === 'up').length >= n) break;
      if (performance.now() - t0 > 300_000) throw new Error(`${n} dynos not up within 5 minutes`);
      await sleep(50);
    }
    const converge = performance.now() - t0;
    await sleep(1000);
    const lat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = performance.now();
      await get(p.routerPort, host);
      lat.push(performance.now() - s);
    }
    const mem = await dynoMemory(p);
    lat.sort((a, b) => a - b);
    console.log(`${String(n).padStart(3)} web dynos: all up ${(converge / 1000).toFixed(1)} s after the scale request; `
      + `request p50 ${lat[100]!.toFixed(1)} ms p99 ${lat[198]!.toFixed(1)} ms; memory ${(mem.bytes / MB).toFixed(0)} MB (${(mem.bytes / MB / mem.count).toFixed(1)} MB per dyno)`);
  }
  const t0 = performance.now();
  await p.request('PATCH', '/apps/dynobench/formation/web', { quantity: 1 });
  while ((await p.containers()).filter((c) => c.includes('-dyno-')).length > baseline) await sleep(100);
  console.log(`scale 80 → 1: the 79 dynos stopped and removed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
