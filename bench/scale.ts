// Scale benchmark (issue #14's "scale web=1 → 80, all answering"): an app whose Procfile starts node
// directly (`web: node index.js`, no npm: what the platform costs, not npm's own ~300 ms of CPU per
// boot) is scaled from 1 to BENCH_SCALE (80) dynos. Prints the time from the scale request until every
// dyno is up (the API, polled every 250 ms so the polling costs little), where that time went (from the
// dynos' own `Starting process` and `State changed … to up` lines), and until the router has answered
// from every one of them. `BENCH_ONLY=scale npm run bench`.
import { join } from 'node:path';
import { makeRepo, sleep, type TestPlatform } from '../test/helpers/platform.ts';

const APP = "require('http').createServer((q, s) => s.end(process.env.DYNO)).listen(process.env.PORT)\n";

export async function scaleBench(p: TestPlatform, work: string): Promise<void> {
  const n = Number(process.env.BENCH_SCALE ?? 80);
  const dir = join(work, 'scalebench');
  await makeRepo(dir, { 'package.json': '{"name":"scalebench","engines":{"node":"20.x"}}', 'index.js': APP, Procfile: 'web: node index.js\n' });
  await p.request('POST', '/apps', { name: 'scalebench' });
  const push = await p.push(dir, 'scalebench');
  if (push.code !== 0) throw new Error(push.output);
  await p.waitFor('scalebench', 'web.1');
  await sleep(2000);

  const requested = Date.now();
  const r = await p.request('PATCH', '/apps/scalebench/formation/web', { quantity: n });
  if (r.status !== 200) throw new Error(`scale: ${r.status} ${JSON.stringify(r.body)}`);
  let allUp = 0;
  while (!allUp) {
    const ds = (await p.request('GET', '/apps/scalebench/dynos')).body as { state: string }[];
    if (ds.filter((d) => d.state === 'up').length >= n) allUp = Date.now();
    else if (Date.now() - requested > 300_000) throw new Error(`${n} dynos not up within 5 minutes`);
    else await sleep(250);
  }
  // Every dyno answering through the router: requests until each name has been seen (balance random).
  const seen = new Set<string>();
  for (let i = 0; seen.size < n && i < n * 60; i++) {
    const a = await p.route('scalebench', '/').catch(() => undefined);
    if (a?.status === 200) seen.add(a.body);
  }
  const allAnswered = Date.now();

  const logs = await p.logs('scalebench', { lines: 1500 });
  const stamps = (re: RegExp) => [...logs.matchAll(re)].map((m) => Date.parse(m[1]!)).filter((t) => t >= requested - 50).sort((a, b) => a - b);
  const starts = stamps(/^(\S+) heroku\[web\.(?!1\])\d+\]: Starting process/gm);
  const ups = stamps(/^(\S+) heroku\[web\.(?!1\])\d+\]: State changed from starting to up/gm);
  const s = (t: number | undefined) => (t === undefined ? '?' : `${((t - requested) / 1000).toFixed(2)} s`);
  console.log(`scale web 1 → ${n} (Procfile \`web: node index.js\`): all up ${s(allUp)} after the request; `
    + `the router answered from all ${seen.size} at ${s(allAnswered)}`);
  console.log(`  first \`Starting process\` ${s(starts[0])}, last ${s(starts.at(-1))}; first up ${s(ups[0])}, last ${s(ups.at(-1))}`);

  const t0 = Date.now();
  await p.request('PATCH', '/apps/scalebench/formation/web', { quantity: 1 });
  while ((await p.containers()).filter((c) => c.includes('-dyno-')).length > 1) await sleep(100);
  console.log(`scale ${n} → 1: the ${n - 1} dynos stopped and removed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
