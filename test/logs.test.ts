// Logplex end to end: a real platform, a pushed app with a web and a worker dyno, its stream read with
// the CLI (`logs` with -n, --dyno/--ps, --source, --tail), drains added with the CLI to real receivers
// (a syslog listener over TCP and one over TLS that parse RFC 6587/5424 strictly, an HTTPS listener for
// application/logplex-1), and the build's output read back with builds:output.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HttpReceiver, makeTls, removeTls, SyslogReceiver, type SyslogMessage, type Tls } from '../src/logs/drains/test-helpers.ts';
import { makeRepo, SLIPWAY, sleep, TestPlatform } from './helpers/platform.ts';

const WEB = `
const http = require('http');
http.createServer((req, res) => {
  if (req.url === '/long') {
    // One 25000-byte line written in five pieces, some milliseconds apart.
    let n = 0;
    const piece = () => {
      process.stdout.write('a'.repeat(5000));
      if (++n < 5) return setTimeout(piece, 50);
      process.stdout.write('\\n');
      res.end('long done');
    };
    return piece();
  }
  console.log('request ' + req.url);
  res.end('logdemo ok');
}).listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT));
`;
const WORKER = "console.log('worker ready'); setInterval(() => {}, 1 << 30);\n";
// Writes 25000-byte lines of 'b' in pieces, interleaved in time with the web dyno's.
const LONG_B = "let n=0;const t=setInterval(()=>{process.stdout.write('b'.repeat(5000));if(++n%5===0)process.stdout.write('\\n');if(n===100)clearInterval(t)},10)";

const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00) (app|heroku)\[([\w.-]+)\]: (.*)$/;

/** A drain message in `heroku logs` form, for comparing with the history. */
function asLogLine(m: SyslogMessage): string {
  return `${m.timestamp} ${m.appName}[${m.procId}]: ${m.message.replace(/\n$/, '')}`;
}

describe('logplex end to end', () => {
  const p = new TestPlatform();
  let work: string;
  let tls: Tls;
  const syslog = new SyslogReceiver();
  let syslogTls: SyslogReceiver;
  let https: HttpReceiver;
  const cli = (args: string[]) => p.cli([...args, '-a', 'logdemo']);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-logs-'));
    tls = await makeTls();
    syslogTls = new SyslogReceiver(tls);
    https = new HttpReceiver(tls);
    await Promise.all([syslog.start(), syslogTls.start(), https.start()]);
    // The platform checks drain certificates against the system CAs plus NODE_EXTRA_CA_CERTS.
    // The receivers are the test's own, on loopback: the operator's setting allows them.
    await p.start({ NODE_EXTRA_CA_CERTS: tls.caFile, SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1' });
    assert.equal((await p.request('POST', '/apps', { name: 'logdemo' })).status, 201);
    for (const url of [`syslog://127.0.0.1:${syslog.port}`, `syslog+tls://localhost:${syslogTls.port}`, `https://user:pw@localhost:${https.port}/drain`]) {
      const r = await cli(['drains:add', url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Successfully added drain ${url}\n`);
    }
    const dir = join(work, 'logdemo');
    await makeRepo(dir, {
      'package.json': JSON.stringify({ name: 'logdemo', version: '1.0.0', engines: { node: '20.x' } }),
      'index.js': WEB,
      'worker.js': WORKER,
      Procfile: 'web: node index.js\nworker: node worker.js\n',
    });
    const push = await p.push(dir, 'logdemo');
    assert.equal(push.code, 0, push.output);
    assert.equal((await p.request('PATCH', '/apps/logdemo/formation', { updates: [{ type: 'worker', quantity: 1 }] })).status, 200);
    await p.waitFor('logdemo', 'logdemo ok');
    await p.waitForLog('logdemo', /app\[worker\.1\]: worker ready/);
  });
  after(async () => {
    await p.cleanup();
    await Promise.all([syslog.stop(), syslogTls.stop(), https.stop()]);
    await removeTls(tls);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('two dynos, the router and the API arrive in one ordered stream with their sources', async () => {
    await p.route('logdemo', '/hello');
    assert.equal((await cli(['config:set', 'GREETING=hi'])).code, 0);
    const logs = await p.waitForLog('logdemo', /app\[api\]: Set GREETING config vars by user operator@slipway\.local/);
    const lines = logs.trimEnd().split('\n');
    for (const l of lines) assert.match(l, LINE);
    const stamps = lines.map((l) => LINE.exec(l)![1]!);
    assert.deepEqual([...stamps].sort(), stamps, 'timestamps never go back');
    assert.equal(new Set(stamps).size, stamps.length, 'no two lines share a stamp');
    const text = lines.join('\n');
    assert.match(text, /app\[web\.1\]: listening on \d+/);
    assert.match(text, /app\[worker\.1\]: worker ready/);
    assert.match(text, /app\[web\.1\]: request \/hello/);
    assert.match(text, /heroku\[router\]: at=info method=GET path="\/hello" host=logdemo\.localhost .*dyno=web\.1 /);
    assert.match(text, /heroku\[web\.1\]: State changed from starting to up/);
    assert.match(text, /heroku\[worker\.1\]: Starting process with command `node worker\.js`/);
    assert.match(text, /app\[api\]: Release v1 created by user operator@slipway\.local/);
    assert.match(text, /app\[api\]: Scaled to worker@1:Standard-1X by user operator@slipway\.local/);
  });

  test('filters: --dyno (exact or a process type), its spellings --ps and -p, --source', async () => {
    const byDyno = await cli(['logs', '--dyno', 'web.1', '-n', '1500']);
    assert.ok(byDyno.stdout.length > 0);
    for (const l of byDyno.stdout.trimEnd().split('\n')) assert.match(l, /^\S+ (app|heroku)\[web\.1\]: /);
    assert.match(byDyno.stdout, /heroku\[web\.1\]: State changed/);
    assert.match(byDyno.stdout, /app\[web\.1\]: listening/);
    const byType = await cli(['logs', '-p', 'worker', '-n', '1500']);
    assert.match(byType.stdout, /app\[worker\.1\]: worker ready/);
    for (const l of byType.stdout.trimEnd().split('\n')) assert.match(l, /^\S+ (app|heroku)\[worker\.\d+\]: /);
    const heroku = await cli(['logs', '--source', 'heroku', '-n', '1500']);
    for (const l of heroku.stdout.trimEnd().split('\n')) assert.match(l, /^\S+ heroku\[/);
    const api = await cli(['logs', '-s', 'app', '--ps', 'api', '-n', '1500']);
    for (const l of api.stdout.trimEnd().split('\n')) assert.match(l, /^\S+ app\[api\]: /);
    // The API's lines are app[api], as Heroku has written them since about 2017 (heroku[api] before):
    // -d api alone finds them all, and -s heroku finds none.
    const byApi = await cli(['logs', '-d', 'api', '-n', '1500']);
    assert.equal(byApi.stdout, api.stdout);
    assert.match(byApi.stdout, /app\[api\]: Release v1 created by user operator@slipway\.local\n/);
    assert.match(byApi.stdout, /app\[api\]: Set GREETING config vars by user operator@slipway\.local\n/);
    assert.match(byApi.stdout, /app\[api\]: Scaled to worker@1:Standard-1X by user operator@slipway\.local\n/);
    const herokuApi = await cli(['logs', '-s', 'heroku', '-d', 'api', '-n', '1500']);
    assert.equal(herokuApi.code, 0, herokuApi.stderr);
    assert.equal(herokuApi.stdout, '');
    assert.doesNotMatch((await cli(['logs', '-n', '1500'])).stdout, /heroku\[api\]/);
    const bad = await cli(['logs', '--source', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /source must be "app" or "heroku"/);
  });

  test('the buffer keeps the newest 1500 lines; -n picks how many; past 1500 is refused', async () => {
    const run = await cli(['run:detached', 'seq 1 800; sleep 1; seq 801 1700']);
    assert.equal(run.code, 0, run.stderr);
    const name = /--dyno (run\.\d+)/.exec(run.stdout)?.[1] ?? 'run.1';
    await p.waitForLog('logdemo', new RegExp(`app\\[${name.replace('.', '\\.')}\\]: 1700\\n`), 60);
    const all = await cli(['logs', '-n', '1500']);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1500);
    const five = await cli(['logs', '-n', '5']);
    assert.equal(five.stdout.trimEnd().split('\n').length, 5);
    assert.deepEqual(five.stdout.trimEnd().split('\n'), (await p.logs('logdemo', { lines: 5 })).trimEnd().split('\n'));
    const more = await cli(['logs', '-n', '1501']);
    assert.notEqual(more.code, 0);
    assert.match(more.stderr, /lines must be a whole number from 0 to 1500/);
    // The seq lines are in order and the oldest ones are gone.
    const seq = lines.map((l) => new RegExp(`app\\[${name.replace('.', '\\.')}\\]: (\\d+)$`).exec(l)?.[1]).filter(Boolean).map(Number);
    assert.deepEqual(seq, Array.from({ length: seq.length }, (_, i) => 1701 - seq.length + i));
    assert.ok(seq.length < 1700 && seq.length > 1400, `most of the 1500 lines are the newest seq lines (${seq.length})`);
  });

  test('logs --ps web.1 --tail shows a new line as it happens, and only that dyno', async () => {
    const tail = spawn(SLIPWAY, ['logs', '--ps', 'web.1', '--tail', '-n', '0', '-a', 'logdemo'], { env: { ...process.env, SLIPWAY_HOST: p.api, SLIPWAY_API_KEY: p.key } });
    let out = '';
    tail.stdout.on('data', (d) => (out += d));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('request /tail-probe') && Date.now() < deadline) {
        await p.route('logdemo', '/tail-probe');
        await sleep(500);
      }
      assert.match(out, /app\[web\.1\]: request \/tail-probe/);
      assert.doesNotMatch(out, /heroku\[router\]/);
    } finally {
      tail.kill('SIGINT');
    }
  });

  test('long lines come in 10000-byte pieces, never mixed across dynos', async () => {
    const run = await cli(['run:detached', `node -e "${LONG_B}"`]);
    assert.equal(run.code, 0, run.stderr);
    const name = /--dyno (run\.\d+)/.exec(run.stdout)![1]!;
    await p.waitForLog('logdemo', new RegExp(`app\\[${name.replace('.', '\\.')}\\]: b{10000}`), 60);
    assert.equal((await p.route('logdemo', '/long')).body, 'long done');
    const logs = await p.waitForLog('logdemo', new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Process exited with status 0`), 60);
    const pieces = logs.trimEnd().split('\n').map((l) => LINE.exec(l)).filter((m) => m && /^[ab]+$/.test(m[4]!)).map((m) => ({ at: m![1]!, dyno: m![3]!, text: m![4]! }));
    for (const piece of pieces) {
      assert.equal(new Set(piece.text).size, 1, `a piece from ${piece.dyno} mixes output`);
      assert.equal(piece.text[0], piece.dyno === 'web.1' ? 'a' : 'b');
    }
    assert.deepEqual(pieces.filter((x) => x.dyno === 'web.1').map((x) => x.text.length), [10_000, 10_000, 5000]);
    const b = pieces.filter((x) => x.dyno === name).map((x) => x.text.length);
    assert.deepEqual(b, Array.from({ length: 60 }, (_, i) => [10_000, 10_000, 5000][i % 3]));
    // The two dynos wrote at the same time: web.1's pieces fall between the one-off's first and last.
    const bAt = pieces.filter((x) => x.dyno === name).map((x) => x.at);
    for (const a of pieces.filter((x) => x.dyno === 'web.1')) assert.ok(a.at > bAt[0]! && a.at < bAt.at(-1)!, 'the dynos wrote concurrently');
  });

  test('every drain got every line, in order, framed as Heroku frames them', async () => {
    const marker = `/drain-marker-${Date.now()}`;
    await p.route('logdemo', marker);
    const done = (ms: SyslogMessage[]) => ms.some((m) => m.message.includes(`path="${marker}"`));
    await Promise.all([syslog, syslogTls, https].map((rx) => rx.waitUntil(done, 'the marker line', 30_000)));
    const history = (await p.logs('logdemo', { lines: 1500 })).trimEnd().split('\n');
    const cut = history.findIndex((l) => l.includes(`path="${marker}"`));
    const expected = history.slice(0, cut + 1);
    for (const [name, rx] of [['syslog', syslog], ['syslog+tls', syslogTls], ['https', https]] as const) {
      assert.deepEqual(rx.errors, [], `${name}: framing errors`);
      const got = rx.messages.slice(0, rx.messages.findIndex((m) => m.message.includes(`path="${marker}"`)) + 1).map(asLogLine);
      assert.ok(!got.some((l) => /Error L10/.test(l)), `${name} dropped lines`);
      // The history lost its oldest lines to the 1500 bound; the drain has them all, and its newest lines are the history's.
      assert.ok(got.length >= expected.length, `${name} got ${got.length} lines, the history has ${expected.length}`);
      assert.deepEqual(got.slice(-expected.length), expected, `${name}: not the same lines in the same order`);
      assert.match(got[0]!, /app\[api\]: (Build started|Initial release)/);
    }
    const token = (await cli(['drains', '--json'])).stdout;
    const drains = JSON.parse(token) as { url: string; token: string }[];
    assert.equal(drains.length, 3);
    assert.ok(syslog.messages.every((m) => m.hostname === drains.find((d) => d.url.startsWith('syslog://'))!.token));
    assert.ok(https.posts.every((x) => x.headers['logplex-drain-token'] === drains.find((d) => d.url.startsWith('https://'))!.token));
    assert.ok(https.posts.every((x) => x.headers.authorization === `Basic ${Buffer.from('user:pw').toString('base64')}`));
    assert.ok(https.messages.every((m) => m.hostname === 'host'));
  });

  test('drains lists and drains:remove removes; removing an unknown drain says so', async () => {
    const list = await cli(['drains']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^=== Drains\n/);
    assert.match(list.stdout, new RegExp(`^syslog://127\\.0\\.0\\.1:${syslog.port} \\(d\\.[0-9a-f-]{36}\\)$`, 'm'));
    const removed = await cli(['drains:remove', `syslog://127.0.0.1:${syslog.port}`]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `Successfully removed drain syslog://127.0.0.1:${syslog.port}\n`);
    assert.doesNotMatch((await cli(['drains'])).stdout, /syslog:\/\//);
    const again = await cli(['drains:remove', `syslog://127.0.0.1:${syslog.port}`]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Couldn't find that log drain/);
    const bad = await cli(['drains:add', 'syslog://logs.example.com']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no port: syslog drains need one/);
  });

  test('builds, builds:info and builds:output show the build and what it printed', async () => {
    const list = await cli(['builds']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^=== logdemo Builds\n/);
    const id = /^([0-9a-f-]{36})\s+succeeded\s+operator@slipway\.local/m.exec(list.stdout)?.[1];
    assert.ok(id, list.stdout);
    const info = await cli(['builds:info', id!]);
    assert.match(info.stdout, new RegExp(`=== Build ${id}`));
    assert.match(info.stdout, /Release:\s+v1/);
    const output = await cli(['builds:output']);
    assert.equal(output.code, 0, output.stderr);
    assert.match(output.stdout, /^-----> Building on the \S+ stack\n/);
    assert.match(output.stdout, /-----> Node\.js app detected/);
    assert.match(output.stdout, /Procfile declares types -> web, worker/);
    assert.match(output.stdout, /Released v1\n/);
  });
});
