// HAProxy's own view of a test platform's router (its runtime API), for tests and the router bench.
import { join } from 'node:path';
import { haproxyCommand } from '../../src/router/haproxy/sockets.ts';

/** Addresses (`host:port`) of the active server slots: pointed at a dyno (unused ones point at port 1), not in maintenance (bit 1) or draining (bit 8). */
export async function activeSlots(dataDir: string): Promise<string[]> {
  const out = await haproxyCommand(join(dataDir, 'router', 'haproxy.sock'), 'show servers state');
  const lines = out.split('\n');
  const cols = (lines.find((l) => l.startsWith('# be_id')) ?? '').slice(2).split(' ');
  const at = (f: string[], name: string) => f[cols.indexOf(name)];
  return lines.map((l) => l.split(' ')).filter((f) => /^s\d+$/.test(at(f, 'srv_name') ?? '') && at(f, 'srv_port') !== '1'
    && (Number(at(f, 'srv_admin_state')) & 9) === 0).map((f) => `${at(f, 'srv_addr')}:${at(f, 'srv_port')}`).sort();
}
