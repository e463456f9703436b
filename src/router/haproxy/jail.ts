// HAProxy's workers are shut in: the master (root) binds the router ports and the runtime socket and
// reads the config, maps, error files and certificates; each worker it forks then chroots to an empty
// directory that only root may write and drops to a uid and gid of the router's own (no host account,
// just below the tenants' range in runtime/tenants.ts, so no app's processes share it). What a worker
// still opens afterwards is the Node router's socket (`run/fallback.sock` inside the jail; the `run`
// directory is root's, searchable by the router's group only, the socket root's and the group's
// read-write) and the controller's log port on loopback.
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { HaproxyJail } from './config.ts';

/** The uid and gid of HAProxy's workers. */
export const ROUTER_UID = 1_499_999_999;

const isRoot = () => process.getuid?.() === 0;

/** The jail's directory under the controller's; the Node router's socket is in its `run/`. */
export function jailPaths(dir: string): { root: string; run: string; fallbackSocket: string } {
  const root = join(dir, 'jail');
  const run = join(root, 'run');
  return { root, run, fallbackSocket: join(run, 'fallback.sock') };
}

/**
 * Makes the jail (root's, 0755, nothing in it the workers may write) and its `run/` (root's, group
 * the router's, 0710), removes a socket left by an earlier run, and returns where the Node router
 * should listen. Not root: the same directories, owned by whoever runs the platform.
 */
export async function prepareJail(dir: string): Promise<string> {
  const p = jailPaths(dir);
  await mkdir(p.run, { recursive: true });
  await rm(p.fallbackSocket, { force: true });
  await chmod(p.root, 0o755);
  await chmod(p.run, 0o710);
  if (isRoot()) {
    await chown(p.root, 0, 0);
    await chown(p.run, 0, ROUTER_UID);
  }
  return p.fallbackSocket;
}

/**
 * The jail HAProxy is given and the Node router's socket as its workers see it (a path inside the
 * jail), once the socket listens: it is handed to the router's group, read-write. Not root: no jail
 * (HAProxy could not change uid), and the socket's own path.
 */
export async function enterJail(dir: string, fallbackSocket: string): Promise<{ jail?: HaproxyJail; fallbackSocket: string }> {
  if (!isRoot()) return { fallbackSocket };
  const { root } = jailPaths(dir);
  const inside = relative(root, fallbackSocket);
  if (inside.startsWith('..') || inside.startsWith(sep)) throw new Error(`the Node router's socket ${fallbackSocket} must be inside HAProxy's jail ${root} (prepareJail says where)`);
  await chown(fallbackSocket, 0, ROUTER_UID);
  await chmod(fallbackSocket, 0o660);
  return { jail: { uid: ROUTER_UID, gid: ROUTER_UID, dir: root }, fallbackSocket: `/${inside.split(sep).join('/')}` };
}
