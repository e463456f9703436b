// `npm run bench`: git push → released for a Node app with no dependencies, next to the floor measured
// in the same run (a plain `git push` to a bare repo plus `tar czf` of the app), with push → serving and
// the deploy's recorded phases (builds.phases) for the median run, then the dyno
// benchmarks (bench/dynos.ts), scaling to 80 (bench/scale.ts), git push → serving per language (bench/languages.ts), the logplex
// benchmark (bench/logs.ts) and the swarm runtime next to runc (bench/swarm.ts). `BENCH_ONLY=logs`, `BENCH_ONLY=languages`,
// `BENCH_ONLY=dynos`, `BENCH_ONLY=scale` or `BENCH_ONLY=swarm` runs that one alone;
// `BENCH_ONLY=deploy` the push rounds and the single-dyno figures (start, memory). Prints
// each figure beside its reference and the ratio.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatBreakdown } from '../src/build/phases.ts';
import { makeRepo, TestPlatform } from '../test/helpers/platform.ts';
import { dynoBench } from './dynos.ts';
import { scaleBench } from './scale.ts';
import { languagesBench } from './languages.ts';
import { logsBench } from './logs.ts';
import { swarmBench } from './swarm.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-'));
  const p = new TestPlatform();
  try {
    // The logplex benchmark measures the pipeline, not the per-app rate limit: lifted here; its drain
    // receiver is on loopback, which the operator allows as SLIPWAY_ALLOW_PRIVATE_TARGETS would.
    await p.start({ SLIPWAY_LOG_RATE: '0', SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32' });
    if (process.env.BENCH_ONLY === 'logs') return await logsBench(p, work);
    if (process.env.BENCH_ONLY === 'languages') return await languagesBench(p, work);
    if (process.env.BENCH_ONLY === 'dynos') return await dynoBench(p, work);
    if (process.env.BENCH_ONLY === 'scale') return await scaleBench(p, work);
    if (process.env.BENCH_ONLY === 'swarm') return await swarmBench(p, work);
    const app = join(work, 'app');
    await makeRepo(app, {
      'package.json': JSON.stringify({ name: 'bench', version: '1.0.0', engines: { node: '20.x' }, scripts: { start: 'node index.js' } }),
      'index.js': "require('http').createServer((q, s) => s.end('bench 0')).listen(process.env.PORT)\n",
    });
    const r = await p.request('POST', '/apps', { name: 'bench' });
    if (r.status !== 201) throw new Error(`creating the app: ${r.status}`);
    const platform: number[] = [];
    const serving: number[] = [];
    const builds: string[] = [];
    const floor: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await writeFile(join(app, 'index.js'), `require('http').createServer((q, s) => s.end('bench ${i + 1}')).listen(process.env.PORT)\n`);
      await makeRepo(app, {}, `round ${i + 1}`);
      let t = performance.now();
      const push = await p.push(app, 'bench');
      if (push.code !== 0 || !/Released v\d+/.test(push.output)) throw new Error(`push failed:\n${push.output}`);
      platform.push(performance.now() - t);
      await p.waitFor('bench', `bench ${i + 1}`);
      serving.push(performance.now() - t);
      builds.push(await newBuild(p, 'bench', builds));

      const bare = join(work, `bare-${i}.git`);
      await run('git', ['init', '-q', '--bare', bare]);
      t = performance.now();
      await run('git', ['push', '-q', bare, 'HEAD:main'], { cwd: app });
      await run('tar', ['czf', join(work, `floor-${i}.tgz`), '-C', app, '.']);
      floor.push(performance.now() - t);
    }
    const pm = median(platform);
    const fm = median(floor);
    console.log(`git push → released (Node app, no dependencies), median of ${ROUNDS}: ${(pm / 1000).toFixed(2)} s`);
    console.log(`floor (git push to a bare repo + tar czf), median of ${ROUNDS}:      ${(fm / 1000).toFixed(3)} s`);
    console.log(`ratio: ${(pm / fm).toFixed(1)}x the floor`);
    console.log(`git push → serving (the same pushes, first answer with the new code through the router), median of ${ROUNDS}: ${(median(serving) / 1000).toFixed(2)} s`);
    const m = platform.indexOf(pm);
    console.log(`where the time went in the median run (round ${m + 1}; the build's recorded phases, builds.phases):`);
    for (const line of formatBreakdown(await p.phases(builds[m]!))) console.log(line);
    console.log('');
    await dynoBench(p, work);
    if (process.env.BENCH_ONLY === 'deploy') return;
    await scaleBench(p, work);
    await languagesBench(p, work);
    console.log('');
    await logsBench(p, work);
    console.log('');
    await swarmBench(p, work);
  } finally {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

/** The app's one build not in `known`: the push's. */
async function newBuild(p: TestPlatform, app: string, known: string[]): Promise<string> {
  const r = await p.request<{ id: string }[]>('GET', `/apps/${app}/builds`);
  const fresh = r.body.filter((b) => !known.includes(b.id));
  if (fresh.length !== 1) throw new Error(`expected one new build of ${app}, found ${fresh.length}`);
  return fresh[0]!.id;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
