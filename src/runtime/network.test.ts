// Integration tests of isolated container networking with real containers, namespaces, veths and
// iptables: outbound NAT reaches the npm registry (the one external service this machine may use),
// the host reaches a dyno at its address, a dyno reaches neither the host (on any of its addresses,
// except an allowed port) nor another dyno, addresses never collide, the firewall is idempotent and
// self-healing, and start latency against host networking. Skipped where runc cannot run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RuncRuntime } from './runc.ts';
import { defaultStackDir, ensureStack } from './stack.ts';
import { runcCanRun } from './index.ts';
import { ipToNumber, numberToIp, parsePool, resolversOf } from './netplan.ts';
import type { ContainerSpec } from './types.ts';
import { containerHarness, firewallLines, hostLeftovers, listen, probe, testNetwork, within } from './test-helpers.ts';

const run = promisify(execFile);
const prefix = `slipway-ntest-${process.pid}-`;
const network = testNetwork();

/** An HTTP GET from the host, retried until the container's server listens (bounded). */
async function getFromHost(address: string, port: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${address}:${port}/`, { signal: AbortSignal.timeout(2000) });
      return await res.text();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The container's gateway: the host side of its /30. */
function gatewayOf(address: string): string {
  return numberToIp(ipToNumber(address) - 1);
}


describe('isolated container networking', { skip: !runcCanRun() && 'needs root, Linux and runc' }, () => {
  let stateDir: string;
  let lower: string;
  let rt: RuncRuntime;
  const { spec, start, destroyAll } = containerHarness({
    prefix, runtime: () => rt, lower: () => lower, memoryLimitBytes: 256 << 20, pidsLimit: 128,
  });
  let blocked: { server: Server; port: number };
  let allowed: { server: Server; port: number };

  before(async () => {
    await ensureStack(defaultStackDir(), (line) => console.log(`stack: ${line}`));
    stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-network-test-'));
    lower = path.join(stateDir, 'slug');
    await mkdir(lower);
    await chown(lower, 1000, 1000);
    blocked = await listen('host-secret\n');
    allowed = await listen('addon-service\n');
    rt = new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...network, allowHostPorts: [allowed.port] });
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await destroyAll();
    await rt?.cleanup(prefix);
    await rt?.removeFirewall();
    for (const s of [blocked, allowed]) if (s) await new Promise<void>((r) => s.server.close(() => r()));
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });



  async function runScript(script: string, over: Partial<ContainerSpec> = {}) {
    const { c, out, err } = await start(spec(script, over));
    try {
      const status = await within(c.exited, `exit of ${c.id}`, 60_000);
      return { c, status, stdout: out.text(), stderr: err.text() };
    } finally {
      await within(c.destroy(), `destroy ${c.id}`);
    }
  }

  test('an address from the pool, eth0 and lo only, default route via the host side', async () => {
    const r = await runScript('ls /sys/class/net; cat /sys/class/net/eth0/mtu; awk \'$2 == "00000000" { print $1, $3 }\' /proc/net/route');
    const pool = parsePool(network.addressPool!);
    const n = ipToNumber(r.c.address);
    assert.ok(n >= pool.base && n < pool.base + pool.size * 4, `${r.c.address} in ${pool.cidr}`);
    assert.equal(n % 4, 2, 'the container side is .2 of its /30');
    const [names, mtu, route] = [r.stdout.split('\n').slice(0, 2), r.stdout.split('\n')[2], r.stdout.split('\n')[3]];
    assert.deepEqual(names, ['eth0', 'lo']);
    const route0 = (await readFile('/proc/net/route', 'utf8')).split('\n').find((l) => l.split('\t')[1] === '00000000');
    const hostMtu = (await readFile(`/sys/class/net/${route0!.split('\t')[0]}/mtu`, 'utf8')).trim();
    assert.equal(mtu, hostMtu, 'the MTU follows the host\'s default route');
    const gw = gatewayOf(r.c.address).split('.').map(Number);
    assert.equal(route, `eth0 ${gw.reverse().map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('')}`);
  });

  test('outbound traffic is NATed: DNS and HTTPS to the npm registry work', async () => {
    const r = await runScript("curl -sS --max-time 30 https://registry.npmjs.org/ -o /dev/null -w '%{http_code}\\n'");
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, '200\n');
    assert.equal(r.status.code, 0);
  });

  test('the host reaches a server in the container at Container.address', async () => {
    const server = 'import http.server as h; h.HTTPServer(("0.0.0.0", 8080), type("H", (h.BaseHTTPRequestHandler,), {"do_GET": lambda s: (s.send_response(200), s.end_headers(), s.wfile.write(b"from-dyno"))})).serve_forever()';
    const { c } = await start(spec('', { argv: ['python3', '-c', server] }));
    try {
      assert.notEqual(c.address, '127.0.0.1');
      assert.equal(await getFromHost(c.address, 8080), 'from-dyno');
    } finally {
      await within(c.destroy(), 'destroy');
    }
  });

  test('the container cannot reach the host on any of its addresses, except an allowed port', async () => {
    const hostAddresses = Object.values(networkInterfaces()).flat()
      .filter((i) => i && i.family === 'IPv4' && !i.internal).map((i) => i!.address);
    assert.ok(hostAddresses.length > 0);
    const { c, out } = await start(spec('sleep 0.2; exec sleep 300'));
    try {
      const gw = gatewayOf(c.address);
      const probes = [
        probe('gateway', gw, blocked.port),
        ...hostAddresses.map((a) => probe(`host-${a}`, a, blocked.port)),
        probe('allowed', gw, allowed.port),
        probe('allowed-host', hostAddresses[0]!, allowed.port),
        // Its own loopback is its own: nothing of the host's 127.0.0.1 shows through.
        probe('loopback', '127.0.0.1', blocked.port),
      ];
      const r = await runScript(probes.join('; '));
      const lines = r.stdout.trim().split('\n');
      assert.deepEqual(lines, [
        'gateway:closed',
        ...hostAddresses.map((a) => `host-${a}:closed`),
        'allowed:open:addon-service',
        'allowed-host:open:addon-service',
        'loopback:closed',
      ]);
      assert.equal(out.text(), '');
    } finally {
      await within(c.destroy(), 'destroy');
    }
  });

  test('a refused connection to the host fails at once (REJECT), not after a timeout', async () => {
    const t0 = Date.now();
    const { c } = await start(spec('true'));
    await within(c.exited, 'exit');
    const r = await runScript(`timeout 10 bash -c 'exec 3<>/dev/tcp/${gatewayOf(c.address)}/${blocked.port}'; echo "rc=$?"`);
    assert.match(r.stderr, /No route to host|Connection refused/);
    assert.equal(r.stdout, 'rc=1\n');
    assert.ok(Date.now() - t0 < 8000, 'well under the 10 s timeout');
  });

  test('containers cannot reach each other, at their addresses or their gateways', async () => {
    const server = 'import socket\ns = socket.create_server(("0.0.0.0", 8080))\nwhile True:\n    c, _ = s.accept(); c.sendall(b"dyno-b\\n"); c.close()';
    const b = await start(spec('', { argv: ['python3', '-c', server] }));
    try {
      // Reachable from the host, so "closed" below is the firewall, not a server that is not up yet.
      const deadline = Date.now() + 15_000;
      let fromHost = '';
      while (!fromHost.includes('dyno-b') && Date.now() < deadline) {
        fromHost = (await run('bash', ['-c', `timeout 2 bash -c 'exec 3<>/dev/tcp/${b.c.address}/8080 && cat <&3' || true`])).stdout;
      }
      assert.equal(fromHost, 'dyno-b\n');
      const r = await runScript([probe('peer', b.c.address, 8080), probe('peer-gateway', gatewayOf(b.c.address), blocked.port)].join('; '));
      assert.equal(r.stdout, 'peer:closed\npeer-gateway:closed\n');
    } finally {
      await within(b.c.destroy(), 'destroy b');
    }
  });

  test('the host side of the veth has no IPv6 and filters spoofed sources; nothing of it survives destroy()', async () => {
    const { c } = await start(spec('exec sleep 300'));
    const veth = (await hostLeftovers(stateDir, c.id)).find((l) => l.startsWith('veth'))!.slice('veth '.length);
    assert.equal((await readFile(`/proc/sys/net/ipv6/conf/${veth}/disable_ipv6`, 'utf8')).trim(), '1');
    assert.equal((await readFile(`/proc/sys/net/ipv4/conf/${veth}/rp_filter`, 'utf8')).trim(), '1');
    assert.equal((await run('ip', ['-6', 'address', 'show', 'dev', veth])).stdout, '');
    await within(c.destroy(), 'destroy');
    assert.deepEqual(await hostLeftovers(stateDir, c.id, c.address), []);
  });

  test('concurrent starts get distinct addresses', async () => {
    const cs = await Promise.all(Array.from({ length: 8 }, () => start(spec('exec sleep 300'))));
    try {
      const addresses = cs.map((x) => x.c.address);
      assert.equal(new Set(addresses).size, 8, addresses.join(' '));
    } finally {
      await Promise.all(cs.map((x) => within(x.c.destroy(), 'destroy')));
    }
  });

  test('the firewall: one jump per chain however often applied, restored before the next start if removed', async () => {
    const prefixLines = (): Promise<string[]> => firewallLines(network.firewallChainPrefix!);
    await Promise.all([rt.network.ensureFirewall(), rt.network.ensureFirewall()]);
    await rt.network.ensureFirewall();
    const jumpsNow = (await prefixLines()).filter((l) => / -j SWT\d+-/.test(l) && /^-A (INPUT|FORWARD|POSTROUTING) /.test(l));
    assert.equal(jumpsNow.length, 3, jumpsNow.join('\n'));
    // An operator's `iptables -F INPUT`, or a firewall tool reloading, drops our jump and a rule.
    await run('iptables', ['-w', '-D', 'INPUT', '-j', `${network.firewallChainPrefix}-INPUT`]);
    await run('iptables', ['-w', '-D', `${network.firewallChainPrefix}-INPUT`, '1']);
    const hostAddress = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)!.address;
    const r = await runScript(probe('host', hostAddress, blocked.port));
    assert.equal(r.stdout, 'host:closed\n');
    const after = await prefixLines();
    assert.equal(after.filter((l) => l === `-A INPUT -j ${network.firewallChainPrefix}-INPUT`).length, 1);
    // Replies, the allowed port, DNS (UDP and TCP) to each resolver, the REJECT.
    const resolvers = resolversOf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
    assert.equal(after.filter((l) => l.startsWith(`-A ${network.firewallChainPrefix}-INPUT `)).length, 3 + 2 * resolvers.length);
  });

  test('start latency: isolated (and with a 512 MB /app disk) against host networking (reported)', async (t) => {
    const time = async (over: Partial<ContainerSpec>): Promise<number> => {
      const t0 = performance.now();
      const { c } = await start(spec('true', over));
      const ms = performance.now() - t0;
      await within(c.exited, 'exit');
      await within(c.destroy(), 'destroy');
      return ms;
    };
    const kinds: Record<string, Partial<ContainerSpec>> = {
      host: { network: 'host' },
      isolated: { network: 'isolated' },
      'isolated + disk': { network: 'isolated', appDiskBytes: 512 << 20 },
    };
    const samples: Record<string, number[]> = {};
    for (let i = 0; i < 7; i++) {
      for (const [name, over] of Object.entries(kinds)) (samples[name] ??= []).push(await time(over));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    t.diagnostic(`start() median of 7: ${Object.entries(samples).map(([k, v]) => `${k} ${median(v).toFixed(0)} ms`).join(', ')}`);
    assert.ok(median(samples['isolated + disk']!) < median(samples.host!) + 500);
  });
});
