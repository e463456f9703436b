// A Docker Engine for the swarm runtime's tests: the one running on the machine when there is one (never
// stopped here), else a dockerd this helper starts and stops; a single-node swarm on it (initialised here
// only when the engine has none, and left again only by the helper that started the engine).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { sleep } from './platform.ts';

const run = promisify(execFile);

export async function docker(args: string[], timeout = 60_000): Promise<string> {
  return (await run('docker', args, { timeout, maxBuffer: 16 << 20 })).stdout;
}

const engineUp = () => docker(['info', '--format', '{{.ServerVersion}}'], 10_000).then(() => true, () => false);

export interface TestEngine {
  /** Why the tests cannot run here; undefined when they can. */
  skip?: string;
  /** This helper made the swarm (advertising the address it was given), so nodes may join it. */
  initialised: boolean;
  stop(): Promise<void>;
}

/** An engine that is a swarm manager; a swarm made here advertises `advertise` (default 127.0.0.1). */
export async function ensureSwarm(advertise = '127.0.0.1'): Promise<TestEngine> {
  const none = async () => undefined;
  if (process.getuid?.() !== 0) return { skip: 'needs root (dockerd)', initialised: false, stop: none };
  if (!(await run('sh', ['-c', 'command -v dockerd && command -v docker']).then(() => true, () => false))) {
    return { skip: 'docker.io is not installed (scripts/install-deps.sh installs it)', initialised: false, stop: none };
  }
  let started: ChildProcess | undefined;
  if (!(await engineUp())) {
    started = spawn('dockerd', [], { detached: true, stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (!(await engineUp())) {
      if (started.exitCode !== null || Date.now() > deadline) return { skip: 'dockerd did not start', initialised: false, stop: none };
      await sleep(500);
    }
  }
  const state = (await docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'])).trim();
  let joined = false;
  if (state.startsWith('inactive')) {
    await docker(['swarm', 'init', '--advertise-addr', advertise]);
    joined = true;
  } else if (state !== 'active true') {
    return { skip: `this engine is in a swarm it does not manage (${state})`, initialised: false, stop: async () => stopEngine(started) };
  }
  return {
    initialised: joined,
    stop: async () => {
      // A swarm made here leaves with the test (its advertised address may be gone with the test's link).
      if (joined) await docker(['swarm', 'leave', '--force']).catch(() => undefined);
      await stopEngine(started);
    },
  };
}

async function stopEngine(p: ChildProcess | undefined): Promise<void> {
  if (!p?.pid || p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  if (p.exitCode === null) p.kill('SIGKILL');
}

/** The label value a platform on `dataDir` puts on what it makes in the engine (its container prefix). */
export function platformLabel(dataDir: string): string {
  return `slipway-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}-`;
}

/** Removes every service and secret a platform made (tests clean up by label). */
export async function removeByLabel(label: string): Promise<void> {
  const filter = `label=slipway.platform=${label}`;
  const services = (await docker(['service', 'ls', '-q', '--filter', filter]).catch(() => '')).split('\n').filter(Boolean);
  if (services.length) await docker(['service', 'rm', ...services]).catch(() => undefined);
  for (let i = 0; i < 40; i++) {
    const secrets = (await docker(['secret', 'ls', '-q', '--filter', filter]).catch(() => '')).split('\n').filter(Boolean);
    const containers = (await docker(['ps', '-aq', '--filter', filter]).catch(() => '')).split('\n').filter(Boolean);
    if (secrets.length === 0 && containers.length === 0) return;
    if (secrets.length) await docker(['secret', 'rm', ...secrets]).catch(() => undefined);
    await sleep(500);
  }
}
