// The swarm runtime next to runc (issue #12), same machine, same run, the same app on each:
// - git push → serving: a push of an app until its first answer through the router;
// - scale-out: `ps:scale web=1 → web=N` (BENCH_SWARM_DYNOS, 20) until all N have answered through the
//   router (requests on fresh connections until every dyno name has answered).
// The runc figures come from the platform `run.ts` started; the swarm ones from a platform this file
// starts with SLIPWAY_RUNTIME=swarm on a single-node swarm (the machine's engine, or a dockerd it starts
// and stops, as the tests do). `BENCH_ONLY=swarm` runs this part alone. Prints a row per runtime.
import { join } from 'node:path';
import { ensureSwarm, platformLabel, removeByLabel } from '../test/helpers/docker.ts';
import { makeRepo, sleep, TestPlatform } from '../test/helpers/platform.ts';

const DYNOS = Number(process.env.BENCH_SWARM_DYNOS ?? 20);
/** The stack's python3 answers with its DYNO: no build step, the same on both runtimes. */
const SERVER = "import http.server as h, os\nclass H(h.BaseHTTPRequestHandler):\n    def log_message(s, *a): pass\n    def do_GET(s):\n        s.send_response(200); s.end_headers(); s.wfile.write(os.environ['DYNO'].encode())\nh.ThreadingHTTPServer(('', int(os.environ['PORT'])), H).serve_forever()\n";

interface Row { runtime: string; pushToServing: number; scaleOut: number }

async function measure(p: TestPlatform, runtime: string, work: string): Promise<Row> {
  const app = `bench-${runtime}`;
  const dir = join(work, app);
  await makeRepo(dir, { Procfile: 'web: python3 server.py\n', 'server.py': SERVER });
  const made = await p.request('POST', '/apps', { name: app });
  if (made.status !== 201) throw new Error(`creating ${app}: ${made.status} ${JSON.stringify(made.body)}`);
  let t = performance.now();
  const push = await p.push(dir, app);
  if (push.code !== 0) throw new Error(`push to ${app} failed:\n${push.output}`);
  await p.waitFor(app, 'web.1', '/', 300);
  const pushToServing = performance.now() - t;

  t = performance.now();
  const scaled = await p.request('PATCH', `/apps/${app}/formation/web`, { quantity: DYNOS });
  if (scaled.status !== 200) throw new Error(`scaling ${app}: ${scaled.status} ${JSON.stringify(scaled.body)}`);
  const seen = new Set<string>();
  while (seen.size < DYNOS) {
    if (performance.now() - t > 600_000) throw new Error(`${app}: only ${seen.size} of ${DYNOS} dynos answered within 600 s`);
    const r = await p.route(app, '/', { fresh: true }).catch(() => undefined);
    if (r?.status === 200) seen.add(r.body.trim());
    else await sleep(20);
  }
  const scaleOut = performance.now() - t;
  await p.request('PATCH', `/apps/${app}/formation/web`, { quantity: 0 });
  return { runtime, pushToServing, scaleOut };
}

function print(rows: Row[]): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9);
  console.log(`swarm runtime vs runc (same machine, same run; ${DYNOS} dynos):`);
  console.log('  runtime   git push → serving   ps:scale web=1 → web=' + DYNOS + ', all answering through the router');
  for (const r of rows) console.log(`  ${r.runtime.padEnd(8)}  ${s(r.pushToServing)}            ${s(r.scaleOut)}`);
  const [a, b] = rows;
  if (a && b) console.log(`  swarm/runc: push ${(b.pushToServing / a.pushToServing).toFixed(1)}x, scale-out ${(b.scaleOut / a.scaleOut).toFixed(1)}x`);
}

/** Both runtimes' rows; `runc` is the platform run.ts started (its runtime: runc). */
export async function swarmBench(runc: TestPlatform, work: string): Promise<void> {
  const rows = [await measure(runc, 'runc', work)];
  const engine = await ensureSwarm();
  if (engine.skip) {
    print(rows);
    console.log(`  swarm: not measured (${engine.skip})`);
    return;
  }
  const p = new TestPlatform();
  try {
    await p.start({ SLIPWAY_RUNTIME: 'swarm', SLIPWAY_SWARM_POLL: '1' });
    rows.push(await measure(p, 'swarm', work));
    print(rows);
  } finally {
    // The platform first (its reconcile would make the services again), then what it left.
    await p.stop().catch(() => undefined);
    if (p.dataDir) await removeByLabel(platformLabel(p.dataDir));
    await p.cleanup();
    await engine.stop();
  }
}
