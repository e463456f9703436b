// Logplex benchmark (issue #5): lines per second from one dyno's stdout into the app's stream, with one
// live tail (a log session read over HTTP) and one syslog drain (a TCP receiver parsing every frame)
// attached, next to the raw pipe floor measured in the same run: the same generator piped through
// `cat` into /dev/null on the host. The rate is taken from logplex's own microsecond stamps of the first
// and last line. Also the platform process's CPU time per 100k lines, what the tail and the drain got,
// and the tail's latency (a request until the tail shows the line its dyno printed).
// Two generators: `seq` writes in big blocks (the platform is the bottleneck), a shell loop writes one
// line per write(2) as apps with line-buffered loggers do.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SyslogReceiver } from '../src/logs/drains/test-support.ts';
import { makeRepo, sleep, type TestPlatform } from '../test/helpers/platform.ts';

const run = promisify(execFile);
const LINES = Number(process.env.BENCH_LOG_LINES ?? 300_000);
const PAD = 'x'.repeat(60);
const GENERATORS: { name: string; command: (n: number) => string }[] = [
  { name: 'seq (block writes)', command: (n) => `seq -f '%g benchmark line ${PAD}' 1 ${n}` },
  { name: 'shell loop (a write per line)', command: (n) => `i=1; while [ $i -le ${n} ]; do echo "$i benchmark line ${PAD}"; i=$((i+1)); done` },
];

async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the `(comm) ` part.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Reads a tail's plain-text stream, calling `onLine` for each complete line. */
function readTail(url: string, onLine: (line: string) => void): () => void {
  const req = request(url, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

export async function logsBench(p: TestPlatform, work: string): Promise<void> {
  const app = 'logbench';
  const dir = join(work, 'logbench');
  await makeRepo(dir, {
    'package.json': '{"name":"logbench","engines":{"node":"20.x"},"scripts":{"start":"node index.js"}}',
    'index.js': "require('http').createServer((q, s) => { console.log('probe ' + q.url); s.end('ok'); }).listen(process.env.PORT)\n",
  });
  await p.request('POST', '/apps', { name: app });
  const push = await p.push(dir, app);
  if (push.code !== 0) throw new Error(push.output);
  await p.waitFor(app, 'ok');
  const drain = new SyslogReceiver();
  await drain.start();
  const added = await p.request('POST', `/apps/${app}/log-drains`, { url: `syslog://127.0.0.1:${drain.port}` });
  if (added.status !== 201) throw new Error(`adding the drain: ${added.status} ${JSON.stringify(added.body)}`);
  const session = await p.request('POST', `/apps/${app}/log-sessions`, { tail: true, lines: 0 });
  const waiters = new Set<(line: string) => void>();
  const stopTail = readTail(session.body.logplex_url, (line) => { for (const w of waiters) w(line); });
  await sleep(500);
  const pid = p.pid;
  try {
    console.log(`logplex: ${LINES} lines of ~80 bytes from one one-off dyno, with a live tail and a syslog drain attached`);
    for (const g of GENERATORS) {
      // Floor: the same generator into a pipe read by cat, on the host.
      let t = performance.now();
      await run('bash', ['-c', `${g.command(LINES)} | cat > /dev/null`], { maxBuffer: 1024 });
      const floorRate = LINES / ((performance.now() - t) / 1000);

      // The rate into the buffer comes from logplex's own stamps: the first line's (as the tail got it)
      // and the last line's (from the history once the dyno is done).
      let firstStamp = '';
      let count = 0;
      let l11 = false;
      const w = (line: string) => {
        if (/Error L11/.test(line)) l11 = true;
        if (!/ app\[run\.\d+\]: \d+ benchmark line /.test(line)) return;
        if (count++ === 0) firstStamp = line.slice(0, 32);
      };
      waiters.add(w);
      const drainBefore = drain.messages.length;
      const cpu0 = await cpuSeconds(pid);
      const r = await p.request('POST', `/apps/${app}/dynos`, { command: g.command(LINES), attach: false });
      if (r.status !== 201) throw new Error(`run: ${r.status}`);
      const name = r.body.name as string;
      let lastStamp = '';
      for (const deadline = Date.now() + 600_000; !lastStamp && Date.now() < deadline; await sleep(200)) {
        const last = (await p.logs(app, { lines: 5, dyno: name, source: 'app' })).trimEnd().split('\n').find((l) => l.includes(`]: ${LINES} benchmark line`));
        if (last) lastStamp = last.slice(0, 32);
      }
      if (!lastStamp) throw new Error('the last line never reached the buffer');
      await drain.waitUntil((ms) => ms.some((m, i) => i >= drainBefore && m.message.startsWith(`${LINES} benchmark line`)), 'the last line at the drain', 300_000)
        .catch(() => undefined);
      await sleep(500);
      const cpu = (await cpuSeconds(pid)) - cpu0;
      waiters.delete(w);
      const micros = (stamp: string) => Date.parse(stamp.slice(0, 23) + 'Z') * 1000 + Number(stamp.slice(23, 26));
      const rate = (LINES - 1) / ((micros(lastStamp) - micros(firstStamp)) / 1e6);
      const drained = drain.messages.slice(drainBefore).filter((m) => m.procId === name).length;
      const dropped = drain.messages.slice(drainBefore).map((m) => /Error L10 .*: (\d+) messages dropped/.exec(m.message)?.[1]).filter(Boolean).map(Number).reduce((a, b) => a + b, 0);
      console.log(`  ${g.name}: platform ${Math.round(rate).toLocaleString('en')} lines/s into the buffer; `
        + `raw pipe floor ${Math.round(floorRate).toLocaleString('en')} lines/s; ratio ${(rate / floorRate).toFixed(2)}`);
      console.log(`    platform CPU ${((cpu / LINES) * 100_000).toFixed(2)} s per 100k lines (ingestion, tail and drain); `
        + `tail got ${count}/${LINES}${l11 ? ' (the rest dropped with L11)' : ''}; drain got ${drained}/${LINES}${dropped ? ` (L10 reported ${dropped} dropped)` : ''}`);
    }
    // Tail latency: a request's line from the dyno until the tail prints it, median of 20.
    const lat: number[] = [];
    for (let i = 0; i < 20; i++) {
      const path = `/latency-${i}`;
      const seen = new Promise<number>((resolve) => {
        const w = (line: string) => {
          if (line.includes(`probe ${path}`)) { waiters.delete(w); resolve(performance.now()); }
        };
        waiters.add(w);
      });
      const t0 = performance.now();
      await p.route(app, path);
      lat.push((await seen) - t0);
    }
    lat.sort((a, b) => a - b);
    console.log(`  tail latency (request sent → its dyno line at the tail), median of 20: ${lat[10]!.toFixed(1)} ms`);
  } finally {
    stopTail();
    await drain.stop();
  }
}
