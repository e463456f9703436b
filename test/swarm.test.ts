// The swarm runtime as a user meets it (issue #12): SLIPWAY_RUNTIME=swarm on a single-node swarm. A
// process type is a service (scaled, resized, restarted, rolled back by service updates), its tasks are
// the dynos `ps` lists and the router spreads requests over; a killed task is replaced while the router
// keeps answering; config vars reach the app but not `docker service inspect`; output is logged as
// app[web.N]; tasks reach the blob endpoint and not the API; R10 for an app that never binds; a second
// node (a dockerd in a test-made network namespace) takes replicas, pulls the stack image from the
// registry the platform starts, serves through the router, reaches its add-on through the platform's
// relay (and not another app's, nor the API, router or rendezvous), is closed in by what `slipway
// swarm:firewall` prints, and its tasks move when it goes; SLIPWAY_REGISTRY names another registry.
// Memory samples (R14, log-runtime-metrics) come from the engine's stats on each node, through the
// engine agent (each node's engine socket bound at a path holding its node id); `ps:restart web.2`
// replaces that task alone. One platform for every case (restarted once, for SLIPWAY_REGISTRY). Skips,
// saying why, where Docker cannot run.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { docker, ensureSwarm, platformLabel, removeByLabel, type TestEngine } from './helpers/docker.ts';
import { freePort, makeRepo, SLIPWAY, sleep, TestPlatform } from './helpers/platform.ts';
import { makeLan, makeLink, startWorker, type NodeLink, type WorkerNode } from './helpers/swarm-node.ts';

const run = promisify(execFile);

/** The stack's python3 answers with its DYNO, the token it was started with and its uid, or a config var. */
const SERVER_PY = `import http.server as h, os, sys
token = sys.argv[1]
class H(h.BaseHTTPRequestHandler):
    def log_message(s, *a): pass
    def do_GET(s):
        if s.path.startswith('/env/'):
            body = os.environ.get(s.path[5:], '')
        elif s.path in ('/hog', '/oom'):
            global hog
            hog = b'x' * ((640 if s.path == '/hog' else 1400) << 20)
            body = 'hogging'
        else:
            body = '%s %s uid=%d' % (os.environ['DYNO'], token, os.getuid())
        print('served %s' % s.path, flush=True)
        s.send_response(200); s.end_headers(); s.wfile.write(body.encode())
print('listening on %s' % os.environ['PORT'], flush=True)
h.HTTPServer(('', int(os.environ['PORT'])), H).serve_forever()
`;

/** Writes and reads a key through a Redis URL's host and port as its user, with the password given; prints the replies. */
const REDIS_PY = `import socket, sys
host, port, user, password = sys.argv[1:5]
s = socket.create_connection((host, int(port)), 5)
s.sendall(('AUTH %s %s\\r\\nSET slipway hello\\r\\nGET slipway\\r\\n' % (user, password)).encode())
s.settimeout(3)
out = b''
try:
    while out.count(b'\\r\\n') < 4 and not out.startswith(b'-'):
        d = s.recv(4096)
        if not d: break
        out += d
except Exception: pass
print(' '.join(x for x in out.decode().split('\\r\\n') if x))
`;

describe('swarm runtime', () => {
  const p = new TestPlatform();
  let engine: TestEngine | undefined;
  let link: NodeLink | undefined;
  let worker: WorkerNode | undefined;
  let work = '';
  let label = '';
  let rendezvousPort = 0;
  let registryPort = 0;
  const registryPorts: number[] = [];
  /** Each node's engine socket, bound (not linked) at `<engines>/<node id>.sock` for the agent. */
  let engines = '';
  const bindEngine = async (nodeId: string, socket: string) => {
    const at = join(engines, `${nodeId}.sock`);
    await writeFile(at, '');
    await run('mount', ['--bind', socket, at]);
  };
  before(async () => {
    if (process.getuid?.() === 0) link = await makeLink();
    // A swarm made here advertises the link's host side, so the two-node case's worker can join it.
    engine = await ensureSwarm(link?.hostIp);
    if (engine.skip) return;
    work = await mkdtemp(join(tmpdir(), 'slipway-swarm-'));
    engines = await mkdtemp(join(tmpdir(), 'slipway-engines-'));
    await bindEngine((await docker(['info', '--format', '{{.Swarm.NodeID}}'])).trim(), (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, ''));
    const blobPort = await freePort();
    rendezvousPort = await freePort();
    registryPort = await freePort();
    registryPorts.push(registryPort);
    await p.start({
      SLIPWAY_RUNTIME: 'swarm', SLIPWAY_BOOT_TIMEOUT: '8', SLIPWAY_SWARM_RESTART_DELAY: '1', SLIPWAY_SWARM_POLL: '1', SLIPWAY_METRICS_INTERVAL: '1',
      // An address tasks on both nodes reach this machine at.
      SLIPWAY_SWARM_BLOB_PORT: String(blobPort), SLIPWAY_SWARM_BLOB_URL: `http://${link!.hostIp}:${blobPort}`,
      SLIPWAY_RENDEZVOUS_PORT: String(rendezvousPort), SLIPWAY_SWARM_REGISTRY_PORT: String(registryPort),
      SLIPWAY_SWARM_ENGINE_SOCKET: `${engines}/{{.Node.ID}}.sock`,
    });
    label = platformLabel(p.dataDir);
  });
  after(async () => {
    // The platform first (its reconcile would make the services again), then what it left.
    await p.stop();
    if (label) await removeByLabel(label);
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
    if (engines) {
      for (const f of await readdir(engines).catch(() => [] as string[])) await run('umount', [join(engines, f)]).catch(() => undefined);
      await rm(engines, { recursive: true, force: true });
    }
    if (worker) {
      await worker.remove();
      for (const id of (await docker(['node', 'ls', '-q', '--filter', 'role=worker']).catch(() => '')).split('\n').filter(Boolean)) {
        await docker(['node', 'rm', '--force', id]).catch(() => undefined);
      }
    }
    // The stack image's names under the test's registries (the image itself stays for the next run).
    const names = (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']).catch(() => '')).split('\n');
    for (const name of names.filter((n) => registryPorts.some((port) => n.includes(`:${port}/slipway-12:`)))) await docker(['rmi', '--no-prune', name]).catch(() => undefined);
    await engine?.stop();
    await link?.remove();
  });

  const skip = () => engine?.skip && `Docker cannot run here: ${engine.skip}`;
  const until = async (what: string, check: () => Promise<boolean>, seconds = 90) => {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(300);
    }
    throw new Error(`timed out waiting for ${what}\n${p.output.slice(-3000)}`);
  };
  const dynos = async (app: string) => (await p.request('GET', `/apps/${app}/dynos`)).body as { id: string; name: string; state: string; size: string; node?: string; release: { version: number } }[];
  const services = async (app: string) => JSON.parse(await docker(['service', 'inspect', ...(await docker(['service', 'ls', '-q', '--filter', `label=slipway.app=${app}`, '--filter', `label=slipway.platform=${label}`])).split('\n').filter(Boolean)])) as any[];
  const version = async (app: string) => Math.max(...((await p.request('GET', `/apps/${app}/releases`)).body as { version: number }[]).map((r) => r.version));
  let firstDeploy = 0;
  const deploy = async (app: string, procfile: string, files: Record<string, string> = {}) => {
    const dir = join(work, app);
    await makeRepo(dir, { Procfile: procfile, 'server.py': SERVER_PY, ...files });
    const push = await p.push(dir, app);
    assert.equal(push.code, 0, push.output);
  };

  test('a process type is a service: scaled, spread over by the router, config vars kept out of inspect', async (t) => {
    if (skip()) return t.skip(skip());
    await until('the platform\'s banner', async () => /runtime: swarm/.test(p.output), 60);
    assert.equal((await p.request('POST', '/apps', { name: 'swm' })).status, 201);
    assert.equal((await p.request('PATCH', '/apps/swm/config-vars', { SECRET_WORD: 'hush-4711' })).status, 200);
    await deploy('swm', 'web: python3 server.py one\n');
    await p.waitFor('swm', 'one', '/', 120);
    firstDeploy = await version('swm');
    assert.equal((await p.request('PATCH', '/apps/swm/formation/web', { quantity: 3 })).status, 200);
    await until('3 web dynos up', async () => (await dynos('swm')).filter((d) => d.state === 'up').length === 3);
    assert.ok((await dynos('swm')).every((d) => d.node), 'ps names each dyno\'s node');
    const [svc] = await services('swm');
    assert.equal(svc.Spec.Mode.Replicated.Replicas, 3);
    assert.equal(svc.Spec.Labels['slipway.process_type'], 'web');
    assert.equal(svc.Spec.TaskTemplate.Resources.Limits.MemoryBytes, 1024 * 1024 * 1024);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await p.route('swm', '/', { fresh: true });
      assert.equal(r.status, 200);
      assert.match(r.body, /^web\.[123] one uid=1000$/);
      seen.add(r.body.split(' ')[0]!);
    }
    assert.ok(seen.size >= 2, `the router reached ${[...seen].join(', ')}`);
    // The app reads its config var; the engine's description of the service does not hold it.
    assert.equal((await p.route('swm', '/env/SECRET_WORD')).body, 'hush-4711');
    assert.doesNotMatch(JSON.stringify(svc), /hush-4711/);
    assert.doesNotMatch(await docker(['inspect', ...(await docker(['ps', '-q', '--filter', `label=slipway.platform=${label}`])).split('\n').filter(Boolean)]), /hush-4711/);
    await p.waitForLog('swm', /app\[web\.\d\]: listening on 5000/, 30);
    await p.waitForLog('swm', /heroku\[web\.\d\]: State changed from starting to up/, 30);
    // Over the size's memory quota: R14 from the engine's stats, as on runc.
    assert.equal((await p.route('swm', '/hog')).body, 'hogging');
    await p.waitForLog('swm', /heroku\[web\.\d\]: Process running mem=\d+M\(1\d\d\.\d%\)/, 30);
    await p.waitForLog('swm', /heroku\[web\.\d\]: Error R14 \(Memory quota exceeded\)/, 10);
    // log-runtime-metrics: Heroku's sample lines from the engine's stats.
    assert.equal((await p.request('PATCH', '/apps/swm/features/log-runtime-metrics', { enabled: true })).status, 200);
    await p.waitForLog('swm', /heroku\[web\.(\d)\]: source=web\.\1 dyno=heroku\.\d+\.[a-z0-9]+ sample#memory_total=\d+\.\d\dMB sample#memory_rss=.* sample#memory_quota=512\.00MB/, 30);
    await p.waitForLog('swm', /heroku\[web\.\d\]: source=web\.\d dyno=heroku\.\d+\.[a-z0-9]+ sample#load_avg_1m=\d+\.\d\d/, 10);
  });

  test('a task reaches the blob endpoint and nothing else of the platform\'s machine', async (t) => {
    if (skip()) return t.skip(skip());
    const blob = /tasks fetch slugs from http:\/\/([\d.]+):(\d+)/.exec(p.output);
    assert.ok(blob, 'the platform says where tasks fetch slugs from');
    const [, host, blobPort] = blob;
    const container = (await docker(['ps', '-q', '--filter', `label=slipway.platform=${label}`, '--filter', 'label=slipway.app=swm'])).split('\n').filter(Boolean)[0]!;
    const curl = (url: string) => docker(['exec', '--user', '1000', container, 'curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url]).then((o) => o.trim(), (e: Error) => `failed: ${e.message}`);
    // The blob endpoint answers (an unsigned request: 404), the API on the same machine does not.
    assert.equal(await curl(`http://${host}:${blobPort}/`), '404');
    assert.match(await curl(`http://${host}:${p.apiPort}/apps`), /^failed: [\s\S]*(refused|prohibited|unreachable|timed out|couldn't connect)/i);
    assert.match(await curl(`http://${host}:${p.routerPort}/`), /^failed/);
    // A task's published port does not answer from outside the machine (a host of the test's own netns).
    const task = (await dynos('swm'))[0]!.id;
    const ports = JSON.parse(await docker(['inspect', '--format', '{{json .Status.PortStatus.Ports}}', task])) as { PublishedPort: number }[];
    const outside = await run('ip', ['netns', 'exec', link!.ns, 'curl', '-sS', '-m', '5', `http://${link!.hostIp}:${ports[0]!.PublishedPort}/`]).then(() => 'answered', (e: Error) => e.message);
    assert.doesNotMatch(outside, /answered/);
    // The platform still serves.
    assert.equal((await p.route('swm', '/')).status, 200);
  });

  test('a killed task is replaced while the router keeps answering; restart and resize replace tasks', async (t) => {
    if (skip()) return t.skip(skip());
    const before = (await dynos('swm')).map((d) => d.name);
    const victim = (await docker(['ps', '-q', '--filter', `label=slipway.platform=${label}`, '--filter', 'label=slipway.app=swm'])).split('\n').filter(Boolean)[0]!;
    await docker(['kill', victim]);
    await p.waitForLog('swm', /heroku\[web\.\d\]: Process exited with status 137/, 30);
    for (let i = 0; i < 10; i++) assert.equal((await p.route('swm', '/', { fresh: true })).status, 200, 'two dynos still answer');
    await until('3 web dynos up again', async () => (await dynos('swm')).filter((d) => d.state === 'up').length === 3);
    assert.deepEqual((await dynos('swm')).map((d) => d.name), before);
    assert.ok(!(await docker(['ps', '-q'])).includes(victim.slice(0, 12)), 'the killed container is not running');
    // Past the size's hard limit the kernel kills the process: R15, as on runc.
    await p.route('swm', '/oom').catch(() => undefined);
    await p.waitForLog('swm', /heroku\[web\.\d\]: Error R15 \(Memory quota vastly exceeded\)/, 30);

    assert.equal((await p.request('PATCH', '/apps/swm/formation/web', { size: 'standard-2x' })).status, 200);
    await until('the service resized', async () => (await services('swm'))[0].Spec.TaskTemplate.Resources.Limits.MemoryBytes === 2048 * 1024 * 1024);
    await until('3 standard-2x dynos up', async () => (await dynos('swm')).filter((d) => d.state === 'up' && d.size === 'Standard-2X').length === 3);
    assert.equal((await p.route('swm', '/')).status, 200);
    // ps:restart web.2 replaces that task alone, in its slot.
    const ids = new Map((await dynos('swm')).map((d) => [d.name, d.id]));
    assert.equal((await p.request('DELETE', '/apps/swm/dynos/web.2')).status, 200);
    await until('a new web.2 up', async () => (await dynos('swm')).some((d) => d.name === 'web.2' && d.state === 'up' && d.id !== ids.get('web.2')), 60);
    await p.waitForLog('swm', /heroku\[web\.2\]: Restarting/, 5);
    const afterOne = await dynos('swm');
    assert.deepEqual(afterOne.filter((d) => d.name !== 'web.2').map((d) => `${d.name} ${d.id}`), [...ids].filter(([n]) => n !== 'web.2').map(([n, id]) => `${n} ${id}`), 'web.1 and web.3 run on');
    // ps:restart replaces every task (a forced service update).
    const running = new Set((await dynos('swm')).map((d) => d.id));
    assert.equal((await p.request('DELETE', '/apps/swm/dynos')).status, 200);
    await until('3 new dynos up', async () => (await dynos('swm')).filter((d) => d.state === 'up' && !running.has(d.id)).length === 3);
    await p.waitForLog('swm', /heroku\[web\.\d\]: Restarting/, 5);
  });

  test('one-off dynos run on the engine: detached with their exit status, attached on a terminal', async (t) => {
    if (skip()) return t.skip(skip());
    const r = await p.request('POST', '/apps/swm/dynos', { command: 'echo one-off $DYNO as $(id -u) with $SECRET_WORD; exit 3' });
    assert.equal(r.status, 201);
    const name = String(r.body.name).replace('.', '\\.');
    await p.waitForLog('swm', new RegExp(`app\\[${name}\\]: one-off ${name} as 1000 with hush-4711`), 60);
    await p.waitForLog('swm', new RegExp(`heroku\\[${name}\\]: Process exited with status 3`), 20);
    // `run bash` through the rendezvous, on a real terminal (util-linux `script` plays the user's).
    const term = spawn('script', ['-qfec', `${SLIPWAY} run -a swm bash`, '/dev/null'], { env: { ...process.env, SLIPWAY_HOST: p.api, SLIPWAY_API_KEY: p.key, TERM: 'xterm' } });
    let out = '';
    term.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((res) => term.once('exit', (c) => res(c)));
    try {
      for (let i = 0; i < 300 && !/up, run\.\d+/.test(out); i++) await sleep(100);
      await sleep(500);
      term.stdin.write('tty; echo "uid=$(id -u) $((40+2))"; exit 5\n');
      assert.equal(await exited, 5, out);
      assert.match(out, /\/dev\/pts\/\d+/);
      assert.match(out, /uid=1000 42/);
    } finally {
      term.kill('SIGKILL');
    }
  });

  test('a deploy and a rollback update the service; destroying the app removes it', async (t) => {
    if (skip()) return t.skip(skip());
    // The release phase runs in an engine one-off before the release goes live.
    await deploy('swm', 'web: python3 server.py two\nrelease: echo release phase as $(id -u) with $SECRET_WORD\n');
    await p.waitFor('swm', 'two', '/', 90);
    await p.waitForLog('swm', /app\[release\.\d+\]: release phase as 1000 with hush-4711/, 10);
    assert.equal((await services('swm'))[0].Spec.Labels['slipway.release'], `v${await version('swm')}`);
    const rollback = await p.request('POST', '/apps/swm/releases', { release: String(firstDeploy) });
    assert.equal(rollback.status, 201, JSON.stringify(rollback.body));
    await p.waitFor('swm', 'one', '/', 90);
    assert.equal((await services('swm'))[0].Spec.Labels['slipway.release'], `v${await version('swm')}`);
    assert.equal((await p.request('DELETE', '/apps/swm')).status, 200);
    await until('the service and its secrets gone', async () =>
      (await docker(['service', 'ls', '-q', '--filter', 'label=slipway.app=swm', '--filter', `label=slipway.platform=${label}`])).trim() === ''
      && (await docker(['secret', 'ls', '-q', '--filter', `label=slipway.platform=${label}`])).trim() === '', 60);
  });

  test('a web process that never binds gets R10 and is replaced', async (t) => {
    if (skip()) return t.skip(skip());
    assert.equal((await p.request('POST', '/apps', { name: 'sw-nobind' })).status, 201);
    await deploy('sw-nobind', 'web: echo not binding; sleep 1000\n');
    await p.waitForLog('sw-nobind', /heroku\[web\.1\]: Error R10 \(Boot timeout\) -> Web process failed to bind to \$PORT within 8 seconds of launch/, 90);
    await p.waitForLog('sw-nobind', /heroku\[web\.1\]: Process exited with status 137/, 30);
    await p.waitForLog('sw-nobind', /app\[web\.1\]: not binding/, 10);
  });

  test('a second node: replicas spread over both, a web task on the worker answers, its tasks move when it goes', async (t) => {
    if (skip()) return t.skip(skip());
    if (!engine!.initialised) return t.skip('the swarm was made outside this test: its manager does not advertise the test\'s link');
    worker = await startWorker(link!);
    assert.equal((await p.request('POST', '/apps', { name: 'sw2' })).status, 201);
    // Its add-on, and another app's, whose password it does not know.
    for (const app of ['sw2', 'sw-other']) {
      if (app !== 'sw2') assert.equal((await p.request('POST', '/apps', { name: app })).status, 201);
      const made = await p.request('POST', `/apps/${app}/addons`, { plan: 'redistogo:nano' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    await deploy('sw2', 'web: python3 server.py two-nodes\n');
    await p.waitFor('sw2', 'two-nodes', '/', 120);
    // One node: no registry; the service names the engine's own image.
    const image = () => services('sw2').then((s) => s[0].Spec.TaskTemplate.ContainerSpec.Image as string);
    assert.match(await image(), /^slipway-12:/);
    const token = (await docker(['swarm', 'join-token', '-q', 'worker'])).trim();
    await worker.docker(['swarm', 'join', '--token', token, '--advertise-addr', link!.nodeIp, `${link!.hostIp}:2377`]);
    await until('two Ready nodes', async () => (await docker(['node', 'ls', '--format', '{{.Status}}'])).split('\n').filter((x) => x === 'Ready').length === 2);
    const workerId = (await worker.docker(['info', '--format', '{{.Swarm.NodeID}}'])).trim();
    // Two nodes: the platform starts its registry on the address nodes reach it at, pushes the stack
    // image there, and names it there; the worker pulls it from there.
    const registry = `${link!.hostIp}:${registryPort}`;
    await until('the service names the platform\'s registry', async () => (await image()).startsWith(`${registry}/slipway-12:`), 300);
    await bindEngine(workerId, worker.socket);
    assert.equal((await p.request('PATCH', '/apps/sw2/features/log-runtime-metrics', { enabled: true })).status, 200);
    assert.equal((await p.request('PATCH', '/apps/sw2/formation/web', { quantity: 4 })).status, 200);
    await until('4 web dynos up', async () => (await dynos('sw2')).filter((d) => d.state === 'up').length === 4, 150);
    const placed = async () => {
      const ids = (await docker(['service', 'ps', '-q', '--filter', 'desired-state=running', (await services('sw2'))[0].ID])).split('\n').filter(Boolean);
      return (await docker(['inspect', '--format', '{{.NodeID}} {{.Slot}} {{.Status.State}}', ...ids])).split('\n').filter(Boolean).map((l) => l.split(' '));
    };
    const onWorker = (await placed()).filter(([node]) => node === workerId).map(([, slot]) => `web.${slot}`);
    assert.ok(onWorker.length > 0 && onWorker.length < 4, `replicas over both nodes: ${JSON.stringify(await placed())}`);
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) reached = onWorker.includes((await p.route('sw2', '/', { fresh: true })).body.split(' ')[0]!);
    assert.ok(reached, `the router reached a dyno on the worker (${onWorker.join(', ')})`);
    assert.match(await worker.docker(['image', 'ls', '--format', '{{.Repository}}']), new RegExp(`^${registry}/slipway-12$`, 'm'));
    // The task's add-on URL names the address nodes reach this machine at; a task on the worker writes
    // and reads its add-on there; another app's add-on refuses it with its own credentials.
    const url = new URL((await p.route('sw2', '/env/REDISTOGO_URL')).body);
    assert.equal(url.hostname, link!.hostIp);
    const container = (await worker.docker(['ps', '-q', '--filter', `label=slipway.platform=${label}`])).split('\n').filter(Boolean)[0]!;
    const inTask = (args: string[]) => worker!.docker(['exec', '--user', '1000', container, ...args]).then((o) => o.trim(), (e: Error) => `failed: ${e.message}`);
    const redis = (u: URL, password: string) => inTask(['python3', '-c', REDIS_PY, u.hostname, u.port, u.username, decodeURIComponent(password)]);
    assert.equal(await redis(url, url.password), '+OK +OK $5 hello');
    const other = new URL(((await p.request('GET', '/apps/sw-other/config-vars')).body as Record<string, string>).REDISTOGO_URL!);
    assert.notEqual(other.port, url.port);
    assert.match(await redis(new URL(`redis://${url.username}@${link!.hostIp}:${other.port}`), url.password), /^-WRONGPASS/);
    // Nothing else of the platform's machine: the API, the router and the rendezvous answer at that
    // address on this machine, and refuse the worker's task.
    for (const port of [p.apiPort, p.routerPort, rendezvousPort]) {
      assert.ok(await new Promise((res) => { const s = connect({ host: link!.hostIp, port }, () => { s.destroy(); res(true); }); s.on('error', () => res(false)); }), `port ${port} listens`);
      assert.match(await inTask(['curl', '-sS', '-m', '5', '-o', '/dev/null', `http://${link!.hostIp}:${port}/`]), /^failed: [\s\S]*(refused|prohibited|unreachable|no route|timed out|couldn't connect)/i, `port ${port} from the worker's task`);
    }
    // On the worker itself a task reaches the worker's own services until the operator applies what
    // `slipway swarm:firewall` prints; then it does not, and the app still serves and reaches its add-on.
    // And a host on the worker's LAN reaches a task's published port until then.
    const own = spawn('nsenter', [`--net=/run/netns/${link!.ns}`, 'python3', '-m', 'http.server', '--bind', link!.nodeIp, '8765'], { stdio: 'ignore' });
    const lan = await makeLan(link!.ns);
    try {
      const workerHttp = () => inTask(['curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${link!.nodeIp}:8765/`]);
      await until('the worker\'s own listener', async () => (await workerHttp()) === '200', 20);
      // A task on the worker and its published port, looked up at each try: the worker's tasks may still
      // be replaced once after the second node joined (the image's move to the registry).
      let lastFromLan = '';
      // Every task there is tried: one may be on its way out. '200' when one answers, else what each said.
      const fromLan = async () => {
        const tasks = (await worker!.docker(['ps', '-q', '--filter', `label=slipway.platform=${label}`])).split('\n').filter(Boolean);
        const said: string[] = [];
        for (const task of tasks) {
          const published = /:(\d+)\s*$/m.exec(await worker!.docker(['port', task, '5000/tcp']).catch(() => ''))?.[1];
          if (!published) { said.push(`${task}: no published port`); continue; }
          const url = `http://${lan.workerIp}:${published}/`;
          const got = await run('ip', ['netns', 'exec', lan.ns, 'curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url]).then((r) => r.stdout, (e: Error) => `failed: ${e.message}`);
          if (got === '200') return (lastFromLan = got);
          said.push(`${task} ${url}: ${got}`);
        }
        return (lastFromLan = `failed: ${said.join('; ') || 'no task on the worker'}`);
      };
      try {
        await until('the LAN host reaching the task\'s published port', async () => (await fromLan()) === '200', 60);
      } catch (err) {
        // What the worker's engine and netfilter held when the LAN host could not get in.
        const seen = await Promise.all([worker!.docker(['ps', '-a', '--format', '{{.ID}} {{.Status}} {{.Ports}} {{.Labels}}']), run('ip', ['netns', 'exec', link!.ns, 'iptables-save']).then((r) => r.stdout), worker!.logTail()].map((x) => x.catch((e: Error) => e.message)));
        throw new Error(`${(err as Error).message.split('\n')[0]}: the last try gave ${lastFromLan}\n${seen.join('\n')}`);
      }
      const script = (await run(SLIPWAY, ['swarm:firewall', '--manager', link!.hostIp], { env: { ...process.env, SLIPWAY_DATA_DIR: p.dataDir } })).stdout;
      await new Promise<void>((resolve, reject) => {
        const sh = spawn('nsenter', [`--net=/run/netns/${link!.ns}`, 'sh', '-s'], { env: { ...process.env, DOCKER_HOST: `unix://${worker!.socket}` }, stdio: ['pipe', 'ignore', 'inherit'] });
        sh.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the worker firewall script exited with ${code}`))));
        sh.stdin.end(script);
      });
      assert.match(await workerHttp(), /^failed: [\s\S]*(refused|prohibited|unreachable|no route|timed out|couldn't connect)/i);
      assert.match(await fromLan(), /^failed: [\s\S]*(refused|prohibited|unreachable|no route|timed out|couldn't connect)/i);
      assert.equal(await redis(url, url.password), '+OK +OK $5 hello');
      reached = false;
      for (let i = 0; i < 60 && !reached; i++) reached = onWorker.includes((await p.route('sw2', '/', { fresh: true })).body.split(' ')[0]!);
      assert.ok(reached, 'the router still reaches the worker\'s dynos');
    } finally {
      own.kill('SIGKILL');
      await lan.remove();
    }
    // The worker's engine agent samples the tasks there.
    const onWorkerRe = new RegExp(`heroku\\[(${onWorker.join('|').replace(/\./g, '\\.')})\\]: source=\\1 dyno=heroku\\.\\d+\\.[a-z0-9]+ sample#memory_total=`);
    await p.waitForLog('sw2', onWorkerRe, 60);
    // Past its size's hard limit the kernel kills a task on the worker: R15 from that node's agent (this
    // engine's events see only its own node).
    const r15 = new RegExp(`heroku\\[(${onWorker.join('|').replace(/\./g, '\\.')})\\]: Error R15 \\(Memory quota vastly exceeded\\)`);
    for (let i = 0; i < 12 && !r15.test(await p.logs('sw2')); i++) {
      await p.route('sw2', '/oom', { fresh: true }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 2000));
    }
    await p.waitForLog('sw2', r15, 60);
    // The worker goes: its tasks start again on the manager, and the router keeps answering.
    await worker.stop();
    await until('every task on the manager', async () => {
      const now = await placed();
      return now.length === 4 && now.every(([node, , state]) => node !== workerId && state === 'running');
    }, 120);
    await until('4 web dynos up again', async () => (await dynos('sw2')).filter((d) => d.state === 'up').length === 4, 60);
    for (let i = 0; i < 8; i++) assert.equal((await p.route('sw2', '/', { fresh: true })).status, 200);
  });

  test('SLIPWAY_REGISTRY: the platform pushes the stack image to the operator\'s registry and services name it there', async (t) => {
    if (skip()) return t.skip(skip());
    if (!worker) return t.skip('the two-node case did not run');
    // A registry of the test's own on loopback. Its storage starts as hard links of the platform's
    // registry's without the image's manifests: the engine's push sends what is missing (the manifest,
    // which the test then finds), not the gigabyte of layers again.
    const dir = join(work, 'operator-registry');
    await mkdir(dir, { recursive: true });
    await run('cp', ['-al', join(p.dataDir, 'registry', 'data'), join(dir, 'data')]);
    await rm(join(dir, 'data', 'docker', 'registry', 'v2', 'repositories', 'slipway-12', '_manifests'), { recursive: true, force: true });
    const port = await freePort();
    registryPorts.push(port);
    await writeFile(join(dir, 'config.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    try {
      await until('the test\'s registry', () => fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false), 30);
      await p.restart({ SLIPWAY_REGISTRY: `127.0.0.1:${port}` });
      const image = () => services('sw2').then((s) => s[0].Spec.TaskTemplate.ContainerSpec.Image as string);
      await until('the service names the operator\'s registry', async () => (await image()).startsWith(`127.0.0.1:${port}/slipway-12:`), 180);
      const tag = (await image()).split(':').at(-1);
      const manifest = await fetch(`http://127.0.0.1:${port}/v2/slipway-12/manifests/${tag}`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      assert.equal(manifest.status, 200, 'the image was pushed there');
      assert.ok(!p.output.includes(`${link!.hostIp}:${registryPort}`), 'the platform runs no registry of its own');
      await p.waitFor('sw2', 'two-nodes', '/', 120);
    } finally {
      registry.kill('SIGKILL');
    }
  });
});
