// Logplex benchmark (issue #5): lines per second from one dyno's stdout into the app's stream, with one
// live tail (a log session read over HTTP) and one syslog drain (a TCP receiver checking the octet
// framing of every frame) attached, next to the raw pipe floor measured in the same run: the same
// generator piped through `cat` into /dev/null on the host. The rate is taken from logplex's own
// microsecond stamps of the first and last line (stamps advance at least 1 µs a line, so it cannot
// show more than 1,000,000 lines/s). Also the platform process's CPU time per 100k lines, from the
// dyno's first line at the tail until the drain has the last one (starting the one-off dyno is not
// counted), the CPU the two receivers took in this process, what they got, and the tail's latency
// (a request until the tail shows the line its dyno printed).
// Two generators: `seq` writes in big blocks (many lines a write(2)), a shell loop writes one line per
// write(2) as apps with line-buffered loggers do.
// The receivers stand in for a remote `heroku logs --tail` and a remote syslog server; on this machine
// they share its cores with the dyno and the platform, so they count lines with as little work as
// they can (the drain tests check frames byte for byte; here only the framing and the dyno are read).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeRepo, sleep, type TestPlatform } from '../test/helpers/platform.ts';

const run = promisify(execFile);
const LINES = Number(process.env.BENCH_LOG_LINES ?? 300_000);
const PAD = 'x'.repeat(60);
const GENERATORS: { name: string; command: (n: number) => string }[] = [
  { name: 'seq (block writes)', command: (n) => `seq -f '%.0f benchmark line ${PAD}' 1 ${n}` },
  { name: 'shell loop (a write per line)', command: (n) => `i=1; while [ $i -le ${n} ]; do echo "$i benchmark line ${PAD}"; i=$((i+1)); done` },
];

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the `(comm) ` part.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Reads a tail's plain-text stream, calling `onLine` for each complete line. */
function readTail(url: string, onLine: (line: string) => void): () => void {
  const req = request(url, (res) => {
    let rest = '';
    res.setEncoding('latin1');
    res.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const line of lines) onLine(line);
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

/** A syslog drain receiver that checks the octet counting and counts frames by PROCID. */
class CountingSyslogReceiver {
  port = 0;
  /** Frames of the app's own output (APP-NAME `app`) per PROCID (the dyno). */
  readonly byDyno = new Map<string, number>();
  /** Lines the L10 notices reported dropped. */
  dropped = 0;
  /** Messages that start with this text were seen (`onMatch` is called for each). */
  watch: { prefix: string; onMatch: () => void } | undefined;
  framingError = '';
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      let rest = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        const buf = rest.length ? Buffer.concat([rest, d]) : d;
        let at = 0;
        for (;;) {
          const space = buf.indexOf(0x20, at);
          if (space === -1 || space - at > 7) break;
          const len = Number(buf.toString('latin1', at, space));
          if (!Number.isInteger(len) || len < 1) {
            this.framingError ||= `bad octet count at byte ${at}`;
            socket.destroy();
            return;
          }
          if (buf.length < space + 1 + len) break;
          this.frame(buf, space + 1, space + 1 + len);
          at = space + 1 + len;
        }
        rest = Buffer.from(buf.subarray(at));
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID - - MSG`: APP-NAME and PROCID are the fourth and fifth fields. */
  private frame(buf: Buffer, start: number, end: number): void {
    let at = start;
    for (let i = 0; i < 3; i++) at = buf.indexOf(0x20, at) + 1;
    const appEnd = buf.indexOf(0x20, at);
    const fromApp = buf.toString('latin1', at, appEnd) === 'app';
    at = appEnd + 1;
    const procEnd = buf.indexOf(0x20, at);
    const dyno = buf.toString('latin1', at, procEnd);
    if (fromApp) this.byDyno.set(dyno, (this.byDyno.get(dyno) ?? 0) + 1);
    const message = procEnd + 5;
    if (dyno === 'logplex') {
      const m = /Error L10 .*: (\d+) messages dropped/.exec(buf.toString('utf8', message, end));
      if (m) this.dropped += Number(m[1]);
    } else if (this.watch && buf.toString('latin1', message, message + this.watch.prefix.length) === this.watch.prefix) {
      this.watch.onMatch();
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
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
  const drain = new CountingSyslogReceiver();
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
      const t = performance.now();
      await run('bash', ['-c', `${g.command(LINES)} | cat > /dev/null`], { maxBuffer: 1024 });
      const floorRate = LINES / ((performance.now() - t) / 1000);

      // The rate into the buffer comes from logplex's own stamps: the first line's (as the tail got it)
      // and the last line's (from the history once the dyno is done). CPU is counted from the moment
      // the tail shows the first line.
      let firstStamp = '';
      let count = 0;
      let l11 = false;
      let cpu0 = 0;
      let ours0 = process.cpuUsage();
      const w = (line: string) => {
        if (!line.includes(' benchmark line ') || !line.includes(' app[run.')) {
          if (line.includes('Error L11')) l11 = true;
          return;
        }
        if (count++ === 0) {
          cpu0 = cpuSeconds(pid);
          ours0 = process.cpuUsage();
          firstStamp = line.slice(0, 32);
        }
      };
      waiters.add(w);
      const drainBefore = new Map(drain.byDyno);
      const droppedBefore = drain.dropped;
      let lastAtDrain = false;
      drain.watch = { prefix: `${LINES} benchmark line`, onMatch: () => (lastAtDrain = true) };
      const r = await p.request('POST', `/apps/${app}/dynos`, { command: g.command(LINES), attach: false });
      if (r.status !== 201) throw new Error(`run: ${r.status}`);
      const name = r.body.name as string;
      let lastStamp = '';
      for (const deadline = Date.now() + 600_000; !lastStamp && Date.now() < deadline; await sleep(200)) {
        const last = (await p.logs(app, { lines: 5, dyno: name, source: 'app' })).trimEnd().split('\n').find((l) => l.includes(`]: ${LINES} benchmark line`));
        if (last) lastStamp = last.slice(0, 32);
      }
      if (!lastStamp) throw new Error('the last line never reached the buffer');
      for (const deadline = Date.now() + 300_000; !lastAtDrain && Date.now() < deadline;) await sleep(50);
      await sleep(500);
      const cpu = cpuSeconds(pid) - cpu0;
      const ours = process.cpuUsage(ours0);
      waiters.delete(w);
      drain.watch = undefined;
      const micros = (stamp: string) => Date.parse(stamp.slice(0, 23) + 'Z') * 1000 + Number(stamp.slice(23, 26));
      const rate = (LINES - 1) / ((micros(lastStamp) - micros(firstStamp)) / 1e6);
      const drained = (drain.byDyno.get(name) ?? 0) - (drainBefore.get(name) ?? 0);
      const dropped = drain.dropped - droppedBefore;
      const per100k = (seconds: number) => ((seconds / LINES) * 100_000).toFixed(3);
      console.log(`  ${g.name}: platform ${Math.round(rate).toLocaleString('en')} lines/s into the buffer; `
        + `raw pipe floor ${Math.round(floorRate).toLocaleString('en')} lines/s; ratio ${(rate / floorRate).toFixed(2)}`);
      console.log(`    platform CPU ${per100k(cpu)} s per 100k lines (ingestion, tail and drain); receivers' CPU ${per100k((ours.user + ours.system) / 1e6)} s per 100k; `
        + `tail got ${count}/${LINES}${l11 ? ' (the rest dropped with L11)' : ''}; drain got ${drained}/${LINES}${dropped ? ` (L10 reported ${dropped} dropped)` : ''}`
        + `${drain.framingError ? `; drain framing error: ${drain.framingError}` : ''}`);
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
