// `npm run bench:router` (issue #4): requests/s and latency for one tiny web dyno reached three ways in
// the same run with the same load tool (wrk, 2 threads × 64 connections, rounds in turn): directly at the dyno's
// address, through Debian's nginx as a keep-alive reverse proxy (configured here, access log on, as
// our router logs every request), and through Slipway's router (HAProxy + the controller writing
// every request's Heroku line into the app's log stream). Prints router/nginx and router/direct.
// Installs nginx-light and wrk with apt when missing (run as root, as the platform itself).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { activeSlots } from '../test/helpers/haproxy.ts';
import { freePort, TestPlatform } from '../test/helpers/platform.ts';

const run = promisify(execFile);
const DURATION = process.env.BENCH_DURATION ?? '5s';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '64';

interface Result { rps: number; p50: number; p99: number; errors: string }

/** Each figure's median over the rounds (errors from every round). */
function median(rs: Result[]): Result {
  const mid = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
  return { rps: mid(rs.map((r) => r.rps)), p50: mid(rs.map((r) => r.p50)), p99: mid(rs.map((r) => r.p99)), errors: rs.map((r) => r.errors).filter(Boolean).join('; ') };
}

async function ensureTools(): Promise<void> {
  const missing = [['nginx', 'nginx-light'], ['wrk', 'wrk']].filter(([bin]) => !['/usr/sbin/', '/usr/bin/'].some((d) => existsSync(d + bin))).map(([, pkg]) => pkg!);
  if (missing.length === 0) return;
  console.log(`-----> Installing ${missing.join(' ')} (apt)`);
  await run('apt-get', ['install', '-y', '-qq', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const toMs = (v: string) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
};

async function wrk(url: string, host?: string): Promise<Result> {
  const args = ['-t2', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', ...(host ? ['-H', `Host: ${host}`] : []), url];
  const { stdout } = await run('wrk', args, { maxBuffer: 1 << 20 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
  const errors = [/Non-2xx or 3xx responses: \d+/, /Socket errors: [^\n]+/].map((re) => re.exec(stdout)?.[0]).filter(Boolean).join('; ');
  return { rps, p50, p99, errors };
}

async function main(): Promise<void> {
  await ensureTools();
  const work = await mkdtemp(join(tmpdir(), 'slipway-bench-router-'));
  const p = new TestPlatform();
  let nginx: ReturnType<typeof spawn> | undefined;
  try {
    await p.start({ SLIPWAY_ROUTER: 'haproxy' });
    await p.deployFixture('router-app', 'routerbench', work, 'router-app on web.1');
    // The dyno's address, from the slot the controller set through HAProxy's runtime API.
    const [addr] = await activeSlots(p.dataDir);
    if (!addr) throw new Error('no active server slot in the router');

    const nginxPort = await freePort();
    await writeFile(join(work, 'nginx.conf'), `
worker_processes auto;
pid ${join(work, 'nginx.pid')};
error_log ${join(work, 'nginx-error.log')};
events { worker_connections 4096; }
http {
  access_log ${join(work, 'nginx-access.log')} combined buffer=64k;
  upstream dyno { server ${addr}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://dyno;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`);
    nginx = spawn('nginx', ['-c', join(work, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
    for (let i = 0; i < 50; i++) {
      try { await fetch(`http://127.0.0.1:${nginxPort}/`); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }

    // A short warm-up, then rounds that take the three paths in turn: a burst of other work on this
    // machine lands on all three alike, and each path's figure is its median over the rounds.
    await run('wrk', ['-t1', '-c8', '-d1s', `http://${addr}/`]);
    const rounds: { direct: Result; nginx: Result; router: Result }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push({
        direct: await wrk(`http://${addr}/`),
        nginx: await wrk(`http://127.0.0.1:${nginxPort}/`),
        router: await wrk(`http://127.0.0.1:${p.routerPort}/`, 'routerbench.localhost'),
      });
    }
    const direct = median(rounds.map((r) => r.direct));
    const viaNginx = median(rounds.map((r) => r.nginx));
    const viaRouter = median(rounds.map((r) => r.router));
    const row = (name: string, r: Result) =>
      console.log(`${name.padEnd(22)} ${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms${r.errors ? `   (${r.errors})` : ''}`);
    console.log(`wrk -t2 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} rounds taking the three paths in turn (medians), one web dyno of test/fixtures/apps/router-app:`);
    row('direct to the dyno', direct);
    row('nginx (keep-alive)', viaNginx);
    row('Slipway router', viaRouter);
    console.log(`router/nginx: throughput ${(viaRouter.rps / viaNginx.rps).toFixed(2)}x, p99 ${(viaRouter.p99 / viaNginx.p99).toFixed(2)}x`);
    console.log(`router/direct: throughput ${(viaRouter.rps / direct.rps).toFixed(2)}x, p99 ${(viaRouter.p99 / direct.p99).toFixed(2)}x`);
  } finally {
    nginx?.kill('SIGTERM');
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
