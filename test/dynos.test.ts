// The dyno manager as a user meets it (issue #3): formation from app.json, scaling counted in running
// containers, sizes enforced as cgroup limits, crash restarts on the documented schedule (shortened),
// R10, R12, R14, runtime metrics, daily cycling and eco idling (shortened).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeRepo, sleep, TestPlatform } from './helpers/platform.ts';

const NODE_WEB = `require('http').createServer((q, s) => {
  if (q.url === '/hog') { globalThis.hog = Buffer.alloc(640 * 1024 * 1024, 1); return s.end('hogging'); }
  s.end('hello from ' + process.env.DYNO);
}).listen(process.env.PORT, () => console.log('Listening on ' + process.env.PORT));
`;
/** A Procfile-only app (no buildpack downloads): the stack's python3 plays the server. */
const PY_WEB = 'python3 -c "import http.server as h, os; h.HTTPServer((\'\', int(os.environ[\'PORT\'])), type(\'H\', (h.BaseHTTPRequestHandler,), {\'do_GET\': lambda s: (s.send_response(200), s.end_headers(), s.wfile.write((\'hi from \' + os.environ[\'DYNO\']).encode()))})).serve_forever()"';

function memoryLimit(containerId: string): Promise<number> {
  return readFile(`/sys/fs/cgroup/memory/slipway/${containerId}/memory.limit_in_bytes`, 'utf8').then(Number);
}

describe('dyno manager', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-dynos-'));
    await p.start({ SLIPWAY_BOOT_TIMEOUT: '4', SLIPWAY_STOP_GRACE: '2', SLIPWAY_CRASH_BACKOFF_MINUTE: '0.3', SLIPWAY_METRICS_INTERVAL: '1' });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  const deploy = async (name: string, files: Record<string, string>) => {
    assert.equal((await p.request('POST', '/apps', { name })).status, 201);
    const dir = join(work, name);
    await makeRepo(dir, files);
    const push = await p.push(dir, name);
    assert.equal(push.code, 0, push.output);
    return push;
  };
  const dynos = async (app: string) => (await p.request('GET', `/apps/${app}/dynos`)).body as any[];
  const until = async (what: string, check: () => Promise<boolean>, seconds = 60) => {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  test('app.json sets the first formation; scaling starts and stops containers', async () => {
    await deploy('formed', {
      Procfile: `web: ${PY_WEB}\nworker: sleep 100000\n`,
      'app.json': JSON.stringify({ name: 'formed', formation: { web: { quantity: 2, size: 'standard-2x' }, worker: { quantity: 1 } } }),
    });
    const f = (await p.request('GET', '/apps/formed/formation')).body;
    assert.deepEqual(f.map((x: any) => [x.type, x.quantity, x.size]), [['web', 2, 'Standard-2X'], ['worker', 1, 'Standard-1X']]);
    await until('3 dynos up', async () => (await dynos('formed')).filter((d) => d.state === 'up').length === 3);
    const before = (await p.containers()).length;
    await p.request('PATCH', '/apps/formed/formation', { updates: [{ type: 'web', quantity: '+2' }, { type: 'worker', quantity: 0 }] });
    await until('4 web dynos, no worker', async () => {
      const ds = await dynos('formed');
      return ds.filter((d) => d.type === 'web' && d.state === 'up').length === 4 && !ds.some((d) => d.type === 'worker');
    });
    assert.equal((await p.containers()).length, before + 1, 'two containers more for web, one fewer for worker');
    await p.request('PATCH', '/apps/formed/formation/web', { quantity: 1 });
    await until('1 web dyno', async () => (await dynos('formed')).length === 1);
    assert.equal((await p.containers()).length, before - 2);
  });

  test('a size is enforced as the cgroup memory limit; resizing restarts the dynos', async () => {
    const containerOf = async (dynoId: string) => (await p.containers()).find((c) => c.endsWith(`-dyno-${dynoId}`))!;
    const web = (await dynos('formed')).find((d) => d.name === 'web.1');
    assert.equal(web.size, 'Standard-2X');
    const id = await containerOf(web.id);
    assert.ok(id, 'the dyno runs in a container named after it');
    assert.equal(await memoryLimit(id), 2 * 1024 ** 3, 'standard-2x: killed at twice its 1 GB quota');
    const r = await p.request('PATCH', '/apps/formed/formation', { updates: [{ type: 'web', size: 'basic' }] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await until('web.1 restarted as Basic', async () => (await dynos('formed')).some((d) => d.name === 'web.1' && d.size === 'Basic' && d.state === 'up'));
    const resized = (await dynos('formed')).find((d) => d.name === 'web.1');
    assert.equal(await memoryLimit(await containerOf(resized.id)), 1024 ** 3);
    const bad = await p.request('PATCH', '/apps/formed/formation', { updates: [{ type: 'web', size: 'huge' }] });
    assert.equal(bad.status, 422);
    assert.match(bad.body.message, /Unknown dyno size huge/);
  });

  test('a crashing dyno is restarted at once, then after the back-off; ps shows when', async () => {
    await deploy('crasher', { Procfile: 'web: echo starting; sleep 0.2; exit 7\n' });
    const logs = await p.waitForLog('crasher', /(State changed from starting to crashed[\s\S]*){2}/);
    assert.match(logs, /heroku\[web\.1\]: Process exited with status 7/);
    await until('the next attempt time is shown', async () => Boolean((await dynos('crasher'))[0]?.restart_at), 10);
    const [d] = await dynos('crasher');
    assert.equal(d.state, 'crashed');
    const wait = new Date(d.restart_at).getTime() - Date.now();
    assert.ok(wait > 2000 && wait <= 6500, `second crash waits "up to 20 minutes" (6 s here), got ${wait} ms`);
    const ps = await p.cli(['ps', '-a', 'crasher']);
    assert.match(ps.stdout, /web\.1: crashed .*, restarting at /);
    await p.waitForLog('crasher', /(Starting process with command[\s\S]*){3}/, 20);
  });

  test('a web dyno that never binds $PORT gets R10', async () => {
    await deploy('nobind', { Procfile: 'web: sleep 100000\n' });
    await p.waitForLog('nobind', /Error R10 \(Boot timeout\) -> Web process failed to bind to \$PORT within 4 seconds of launch/, 30);
    const logs = await p.waitForLog('nobind', /heroku\[web\.1\]: State changed from starting to crashed/, 30);
    assert.match(logs, /heroku\[web\.1\]: Stopping process with SIGKILL\n.*heroku\[web\.1\]: Process exited with status 137\n.*heroku\[web\.1\]: State changed from starting to crashed/);
  });

  test('a dyno ignoring SIGTERM gets R12 and SIGKILL', async () => {
    await deploy('stubborn', { Procfile: `web: trap '' TERM; ${PY_WEB}\n` });
    await p.waitFor('stubborn', 'hi from web.1');
    await p.request('DELETE', '/apps/stubborn/dynos/web.1');
    const logs = await p.waitForLog('stubborn', /Error R12 \(Exit timeout\) -> At least one process failed to exit within 2 seconds of SIGTERM/, 30);
    assert.match(logs, /heroku\[web\.1\]: Stopping remaining processes with SIGKILL/);
    await p.waitFor('stubborn', 'hi from web.1');
  });

  test('memory over the quota logs R14; log-runtime-metrics adds samples', async () => {
    await deploy('hungry', { 'package.json': '{"name":"hungry","engines":{"node":"20.x"},"scripts":{"start":"node index.js"}}', 'index.js': NODE_WEB });
    await p.waitFor('hungry', 'hello from web.1');
    const f = await p.request('PATCH', '/apps/hungry/features/log-runtime-metrics', { enabled: true });
    assert.equal(f.status, 200);
    assert.equal(f.body.enabled, true);
    await p.waitForLog('hungry', /heroku\[web\.1\]: source=web\.1 dyno=heroku\.\d+\.[0-9a-f-]+ sample#memory_total=[\d.]+MB sample#memory_rss=[\d.]+MB .* sample#memory_quota=512\.00MB/, 30);
    await p.waitForLog('hungry', /heroku\[web\.1\]: source=web\.1 dyno=\S+ sample#load_avg_1m=\d+\.\d\d sample#load_avg_5m=\d+\.\d\d sample#load_avg_15m=\d+\.\d\d/, 30);
    assert.equal((await p.route('hungry', '/hog')).body, 'hogging');
    const logs = await p.waitForLog('hungry', /heroku\[web\.1\]: Error R14 \(Memory quota exceeded\)/, 30);
    assert.match(logs, /heroku\[web\.1\]: Process running mem=\d+M\(1\d\d\.\d%\)/);
    assert.equal((await dynos('hungry'))[0].state, 'up', 'R14 is a warning: the dyno keeps running');
  });

  test('dynos are isolated: own files, no way to the platform or to other apps\' dynos, outbound works', async () => {
    const run = (cmd: string[]) => p.cli(['run', '-a', 'formed', '--', ...cmd]);
    // Files: what one dyno writes no other dyno sees.
    const wrote = await run(['sh', '-c', 'echo mine > /app/scratch.txt && cat /app/scratch.txt']);
    assert.match(wrote.stdout, /mine/);
    const other = await run(['sh', '-c', 'test -e /app/scratch.txt && echo present || echo absent']);
    assert.match(other.stdout, /absent/);
    // Network: the API port on every host address (the dyno's gateway and the machine's own) refuses;
    // another app's dyno refuses; the npm registry answers.
    const { networkInterfaces } = await import('node:os');
    const hostIps = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address);
    const probe = `
import socket, struct
def gw():
    for line in open('/proc/net/route').read().splitlines()[1:]:
        f = line.split()
        if f[1] == '00000000': return socket.inet_ntoa(struct.pack('<L', int(f[2], 16)))
def tcp(host, port):
    s = socket.socket(); s.settimeout(3)
    try: s.connect((host, port)); return 'connected'
    except Exception as e: return 'refused' if isinstance(e, (ConnectionRefusedError, OSError)) else 'error'
    finally: s.close()
import sys
for host in [gw()] + sys.argv[2:]: print(host, tcp(host, int(sys.argv[1])))
`;
    const api = await run(['python3', '-c', probe, String(p.apiPort), ...hostIps]);
    const lines = api.stdout.trim().split('\n').map((l) => l.trim());
    assert.ok(lines.length >= 2, api.stdout + api.stderr);
    for (const l of lines) assert.match(l, / refused$/, `the API port must not be reachable from a dyno: ${l}`);
    // Another app's web dyno: its address and $PORT, read on the host, where the router reaches it.
    const web = (await p.request('GET', '/apps/stubborn/dynos')).body[0];
    const id = (await p.containers()).find((c) => c.endsWith(`-dyno-${web.id}`))!;
    const { execFile } = await import('node:child_process');
    const sh = (cmd: string, args: string[]) => new Promise<string>((r, j) => execFile(cmd, args, (e, out) => (e ? j(e) : r(out))));
    const addr = /inet (\S+)\//.exec(await sh('ip', ['netns', 'exec', id, 'ip', '-4', '-o', 'addr', 'show', 'eth0']))![1]!;
    const pid = JSON.parse(await sh('runc', ['--root', join(p.dataDir, 'runtime', 'runc'), 'state', id])).pid;
    const port = /(?:^|\0)PORT=(\d+)/.exec(await readFile(`/proc/${pid}/environ`, 'utf8'))![1]!;
    assert.equal((await p.route('stubborn')).status, 200, 'the router reaches it');
    const across = await run(['python3', '-c', probe.replace('[gw()] + ', ''), port, addr]);
    assert.match(across.stdout.trim(), new RegExp(`^${addr.replace(/\./g, '\\.')} refused$`), `another app's dyno must not be reachable: ${across.stdout}${across.stderr}`);
    const registry = await run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'https://registry.npmjs.org/']);
    assert.match(registry.stdout, /200|301|302/, 'outbound HTTPS works');
  });

  test('features can be listed and toggled', async () => {
    const list = await p.request('GET', '/apps/hungry/features');
    assert.deepEqual(list.body.map((f: any) => [f.name, f.enabled]), [['log-runtime-metrics', true], ['runtime-dyno-metadata', false], ['preboot', false]]);
    assert.equal((await p.request('PATCH', '/apps/hungry/features/nope', { enabled: true })).status, 404);
    // runtime-dyno-metadata: the next dynos get Heroku's HEROKU_* variables.
    assert.equal((await p.cli(['features:enable', 'runtime-dyno-metadata', '-a', 'hungry'])).code, 0);
    await p.request('DELETE', '/apps/hungry/dynos');
    const run = await p.cli(['run', '-a', 'hungry', '--', 'sh', '-c', 'echo "$HEROKU_APP_NAME $HEROKU_RELEASE_VERSION $HEROKU_DYNO_ID"']);
    assert.match(run.stdout, /^hungry v1 [0-9a-f-]{36}\r?$/m);
    const off = await p.cli(['features:disable', 'log-runtime-metrics', '-a', 'hungry']);
    assert.equal(off.code, 0, off.stderr);
    assert.match((await p.cli(["features", "-a", "hungry"])).stdout, /\[ \]\s+log-runtime-metrics/);
  });
});

describe('daily cycling and idling (shortened)', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-cycle-'));
    await p.start({ SLIPWAY_CYCLE_AFTER: '6', SLIPWAY_CYCLE_JITTER: '0', SLIPWAY_IDLE_AFTER: '3', SLIPWAY_STOP_GRACE: '2' });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('dynos are cycled after their lifetime, logged like every restart', async () => {
    await p.request('POST', '/apps', { name: 'cycler' });
    const dir = join(work, 'cycler');
    await makeRepo(dir, { Procfile: 'worker: sleep 100000\n' });
    assert.equal((await p.push(dir, 'cycler')).code, 0);
    await p.request('PATCH', '/apps/cycler/formation/worker', { quantity: 1 });
    const logs = await p.waitForLog('cycler', /heroku\[worker\.1\]: Cycling\n.*heroku\[worker\.1\]: Stopping all processes with SIGTERM[\s\S]*heroku\[worker\.1\]: Starting process with command `sleep 100000`/, 40);
    assert.match(logs, /Process exited with status 143/);
  });

  test('a single eco web dyno sleeps without requests and the next request wakes it', async () => {
    await p.request('POST', '/apps', { name: 'sleepy' });
    const dir = join(work, 'sleepy');
    await makeRepo(dir, { Procfile: `web: ${PY_WEB}\n`, 'app.json': JSON.stringify({ formation: { web: { quantity: 1, size: 'eco' } } }) });
    assert.equal((await p.push(dir, 'sleepy')).code, 0);
    await p.waitFor('sleepy', 'hi from web.1');
    await p.waitForLog('sleepy', /heroku\[web\.1\]: Idling\n.*heroku\[web\.1\]: State changed from up to idle/, 30);
    const listed = (await p.request('GET', '/apps/sleepy/dynos')).body;
    assert.deepEqual(listed.map((d: any) => [d.name, d.state]), [['web.1', 'idle']]);
    const r = await p.route('sleepy'); // held by the router while the dyno boots
    assert.equal(r.status, 200);
    assert.match(r.body, /hi from web\.1/);
    assert.match(await p.logs('sleepy'), /heroku\[web\.1\]: Unidling\n.*heroku\[web\.1\]: State changed from idle to starting/);
  });
});
