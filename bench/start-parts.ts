// Where a dyno start's platform time goes, at the runtime's seam: RuncRuntime started directly (no
// platform) on a tiny slug, with and without the namespaces and /app disks made ahead. Not part of
// `npm run bench`; run alone as root: `node --import tsx bench/start-parts.ts [rounds]`. Each start is
// a lone start with the pools full (the steady state of a dyno start between bursts); medians printed.
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuncRuntime } from '../src/runtime/runc.ts';
import { defaultStackDir } from '../src/runtime/stack.ts';
import { mountAppDisk } from '../src/runtime/disk.ts';
import { unmountUnder } from '../src/runtime/mounts.ts';
import type { ContainerSpec } from '../src/runtime/types.ts';

const ROUNDS = Number(process.argv[2] ?? 9);
const DISK = 2 * 1024 ** 3; // standard-1x
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'slipway-start-parts-'));
  const prefix = `slipway-parts${process.pid}-`;
  const network = { addressPool: `10.217.${process.pid % 256}.0/24`, firewallChainPrefix: `SWP${process.pid}` };
  const plain = new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...network });
  const pooled = new RuncRuntime({ stackDir: defaultStackDir(), stateDir, ...network, poolPrefix: `${prefix}pool-` });
  const lower = path.join(stateDir, 'slug');
  const tenant = 'start-parts';
  const user = await plain.userFor(tenant);
  await mkdir(lower);
  await writeFile(path.join(lower, 'index.js'), '');
  await chown(lower, user.uid, user.gid);
  let seq = 0;
  const spec = (): ContainerSpec => ({
    id: `${prefix}${++seq}`, hostname: 'web.1', argv: ['/bin/true'], env: { PATH: '/usr/bin:/bin' }, cwd: '/app',
    app: { lower }, mounts: [], memoryLimitBytes: 512 << 20, pidsLimit: 256, appDiskBytes: DISK, tmpBytes: 64 << 20,
    network: 'isolated', tenant,
  });
  const parts: Record<string, number[]> = {};
  const add = (k: string, v: number) => (parts[k] ??= []).push(v);
  // The container itself (conmon, `runc create`, `runc start`): RuncRuntime's private launch(), timed
  // from outside for this measurement only.
  for (const [name, rt] of [['without pools', plain], ['with pools', pooled]] as const) {
    const r = rt as unknown as { launch: (...a: unknown[]) => Promise<unknown> };
    const launch = r.launch.bind(rt);
    r.launch = async (...a: unknown[]) => {
      const t0 = process.hrtime.bigint();
      try { return await launch(...a); } finally { add(`  of which the container (conmon, runc create, runc start) ${name}`, ms(t0)); }
    };
  }
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // The parts alone, made as a start without pools makes them.
      let t0 = process.hrtime.bigint();
      const id = `${prefix}net${i}`;
      await plain.network.create(id);
      add('network namespace + veth + firewall check (made)', ms(t0));
      await plain.network.remove(id);
      const bundle = path.join(stateDir, `disk${i}`);
      await mkdir(bundle);
      t0 = process.hrtime.bigint();
      await mountAppDisk(bundle, DISK);
      add('/app disk: mkfs + losetup + mount (made)', ms(t0));
      await unmountUnder(bundle);
      await rm(bundle, { recursive: true, force: true });
      // Taken from the pool.
      await pooled.network.prepared!.filled();
      t0 = process.hrtime.bigint();
      await pooled.network.create(id);
      add('network namespace + veth + firewall check (taken)', ms(t0));
      await pooled.network.remove(id);
      // Whole starts: runtime.start() resolving (container running), then its end and removal.
      for (const [name, rt] of [['without pools', plain], ['with pools', pooled]] as const) {
        await rt.network.prepared?.filled();
        await rt.disks?.filled();
        t0 = process.hrtime.bigint();
        const c = await rt.start(spec());
        add(`start() ${name}`, ms(t0));
        await c.exited;
        t0 = process.hrtime.bigint();
        await c.destroy();
        add(`destroy() ${name}`, ms(t0));
      }
    }
    for (const [k, v] of Object.entries(parts)) console.log(`${k.padEnd(52)} ${median(v).toFixed(1).padStart(7)} ms  (min ${Math.min(...v).toFixed(1)}, max ${Math.max(...v).toFixed(1)})`);
  } finally {
    await pooled.cleanup(prefix);
    await plain.cleanup(prefix);
    await plain.removeFirewall();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
