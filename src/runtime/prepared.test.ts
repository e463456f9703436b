// Integration tests of what the runc runtime makes ahead of starts (network namespaces with their
// veths and addresses, /app disks): a start takes one, the next tenant's dyno gets a fresh one that
// carries nothing of the previous tenant's (listener, traffic, files) and the same firewall as every
// dyno, and draining the pool leaves nothing on the host. Skipped where runc cannot run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RuncRuntime } from './runc.ts';
import { defaultStackDir, ensureStack } from './stack.ts';
import { runcCanRun } from './index.ts';
import { loopDevices } from './disk.ts';
import { subnetOfVeth } from './netplan.ts';
import type { ContainerSpec } from './types.ts';
import { collect, hostLeftovers, listen, probe, testNetwork, within } from './test-helpers.ts';

const run = promisify(execFile);
const prefix = `slipway-ptest-${process.pid}-`;
const poolPrefix = `${prefix}pool-`;
const network = testNetwork();
const MB = 1024 * 1024;

/** Host-side veths of our naming and their aliases. */
async function veths(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir('/sys/class/net')) {
    if (subnetOfVeth(name) === undefined) continue;
    out.set(name, (await readFile(`/sys/class/net/${name}/ifalias`, 'utf8').catch(() => '')).trim());
  }
  return out;
}

async function pooledNamespaces(): Promise<string[]> {
  return (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(poolPrefix));
}

describe('prepared namespaces and /app disks', { skip: !runcCanRun() && 'needs root, Linux and runc' }, () => {
  let stateDir: string;
  let lower: string;
  let rt: RuncRuntime;
  let allowed: { server: Server; port: number };
  let blocked: { server: Server; port: number };
  let seq = 0;
  const spec = (tenant: string, script: string): ContainerSpec => ({
    id: `${prefix}${++seq}`, hostname: 'web.1', argv: ['bash', '-c', script], env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/app' },
    cwd: '/app', app: { lower }, mounts: [], memoryLimitBytes: 256 * MB, pidsLimit: 128, appDiskBytes: 64 * MB, tenant,
  });

  before(async () => {
    await ensureStack(defaultStackDir(), (line) => console.log(`stack: ${line}`));
    stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-prepared-test-'));
    lower = path.join(stateDir, 'slug');
    await mkdir(lower, { mode: 0o755 });
    await writeFile(path.join(lower, 'index.js'), '// the slug\n', { mode: 0o644 });
    allowed = await listen('addon-service\n');
    blocked = await listen('host-secret\n');
    rt = new RuncRuntime({
      stackDir: defaultStackDir(), stateDir, ...network, allowHostPorts: [allowed.port],
      poolPrefix, netnsPoolSize: 2, diskPoolSize: 2, onPoolError: (err) => console.log(`pool: ${err.message}`),
    });
    // A first start makes its own disk and asks the pools to fill for its size.
    const first = await within(rt.start(spec('warm-up', 'true')), 'warm-up start');
    await within(first.exited, 'warm-up exit');
    await within(first.destroy(), 'warm-up destroy');
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await rt?.cleanup(prefix);
    await rt?.removeFirewall();
    for (const l of [allowed, blocked]) if (l) await new Promise<void>((r) => l.server.close(() => r()));
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  /** Fills both pools, then starts `script` as `tenant`, checking it took a prepared namespace and disk. */
  async function startPrepared(tenant: string, script: string) {
    await within(Promise.all([rt.network.prepared!.filled(), rt.disks!.filled()]), 'pools filled');
    const namespacesBefore = new Set(await pooledNamespaces());
    const disksBefore = (await readdir(path.join(stateDir, 'containers'))).filter((n) => n.startsWith(`${poolPrefix}disk-`));
    assert.equal(namespacesBefore.size, 2, 'two namespaces ready');
    assert.equal(disksBefore.length, 2, 'two disks ready');
    const c = await within(rt.start(spec(tenant, script)), `start ${tenant}`);
    const veth = [...(await veths())].find(([, alias]) => alias === c.id)?.[0];
    assert.ok(veth && namespacesBefore.has(`${poolPrefix}${veth}`), 'its veth (aliased with its id) is a prepared namespace\'s');
    assert.equal(await readlink(path.join('/run/netns', c.id)), `${poolPrefix}${veth}`, 'its id names the namespace too');
    const after = new Set(await readdir(path.join(stateDir, 'containers')));
    assert.ok(disksBefore.some((d) => !after.has(d)), 'a prepared disk became its bundle');
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(mounts.includes(path.join(stateDir, 'containers', c.id, 'appfs')), 'its /app disk is mounted in its own bundle');
    return { c, netns: `${poolPrefix}${veth}`, out: collect(c.stdout), err: collect(c.stderr) };
  }

  test('app B\'s prepared namespace and disk carry nothing of app A\'s, and the same firewall as any dyno', async () => {
    // App A: listens, sends 2 MB to the host, writes a file into /app.
    const serve = 'import socket\ns = socket.create_server(("0.0.0.0", 7777))\nwhile True:\n    c, _ = s.accept(); c.sendall(b"x" * 2097152); c.close()';
    const a = await startPrepared('app-a', `echo a-secret > /app/a-secret.txt; readlink /proc/self/ns/net; exec python3 -c '${serve}'`);
    const aNs = (await a.out.waitFor('net:[').then(() => a.out.text())).trim();
    let got = 0;
    for (let i = 0; i < 150 && got < 2 * MB; i++) {
      const read = await run('bash', ['-c', `timeout 2 bash -c 'exec 3<>/dev/tcp/${a.c.address}/7777 && cat <&3' | wc -c`]).catch(() => ({ stdout: '0' }));
      got = Number(read.stdout.trim());
      if (got < 2 * MB) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(Number(got), 2 * MB, 'the host read app A\'s 2 MB');
    await within(a.c.destroy(), 'destroy a');
    // The disks still ready in the pool are mounts under the state dir by design; A's own are checked by path.
    const left = (await hostLeftovers(stateDir, a.c.id, a.c.address)).filter((l) => l !== 'mount under the state dir');
    assert.deepEqual(left, []);
    assert.ok(!(await pooledNamespaces()).includes(a.netns), 'app A\'s namespace went with it');
    assert.equal(await lstat(path.join('/run/netns', a.c.id)).then(() => 'there', () => 'gone'), 'gone', 'and the link to it');

    const b = await startPrepared('app-b', [
      'readlink /proc/self/ns/net',
      'cat /sys/class/net/eth0/statistics/tx_bytes /sys/class/net/eth0/statistics/rx_bytes',
      // Listening sockets (state 0A) on :7777 (1E61) in this namespace.
      'grep -ci ":1E61 00000000:0000 0A" /proc/net/tcp /proc/net/tcp6 | paste -sd " "',
      'ls -A /app | paste -sd " "',
      // Its gateway (the host side of its veth), from its route table.
      'h=$(awk \'$2 == "00000000" { print $3 }\' /proc/net/route); gw=$((16#${h:6:2})).$((16#${h:4:2})).$((16#${h:2:2})).$((16#${h:0:2})); export gw',
      probe('app-a', a.c.address, 7777),
      probe('host', '$gw', blocked.port),
      probe('allowed', '$gw', allowed.port),
    ].join('; '));
    const status = await within(b.c.exited, 'b exits', 60_000);
    const lines = b.out.text().trim().split('\n');
    await within(b.c.destroy(), 'destroy b');
    assert.equal(status.code, 0, b.err.text());
    const [bNs, tx, rx, listeners, files, ...probes] = lines;
    assert.match(bNs!, /^net:\[\d+\]$/);
    assert.notEqual(bNs, aNs, 'a namespace of its own');
    assert.ok(Number(tx) < 64 * 1024 && Number(rx) < 64 * 1024, `nothing of app A's 2 MB in B's counters (tx ${tx}, rx ${rx})`);
    assert.equal(listeners, '/proc/net/tcp:0 /proc/net/tcp6:0', 'no listener of app A\'s');
    assert.equal(files, 'index.js', 'nothing app A wrote into /app');
    assert.deepEqual(probes, ['app-a:closed', 'host:closed', 'allowed:open:addon-service'], 'the firewall of every dyno');
  });

  test('a drain (cleanup of the pool prefix) leaves no namespace, veth, mount or loop device behind', async () => {
    await within(Promise.all([rt.network.prepared!.filled(), rt.disks!.filled()]), 'pools filled');
    assert.equal((await pooledNamespaces()).length, 2);
    await within(rt.cleanup(poolPrefix), 'drain');
    assert.deepEqual(await pooledNamespaces(), []);
    assert.deepEqual([...(await veths()).values()].filter((alias) => alias.startsWith(prefix)), []);
    assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(stateDir), 'no mount under the state dir');
    assert.deepEqual((await loopDevices()).filter((d) => d.backFile.startsWith(stateDir)), []);
    assert.deepEqual((await readdir(path.join(stateDir, 'containers'))).filter((n) => n.startsWith(prefix)), []);
  });
});
