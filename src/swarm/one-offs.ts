// One-off dynos under the swarm runtime (`run` attached or detached, the release phase, Scheduler's and
// postdeploy's runs): each a container of the stack image on this engine's node, made through the
// Engine API with the dyno size's limits, no capabilities but what its runner needs, the slug bound
// read-only and copied into a private /app, and its environment in a root-only file bound in (not in
// the container's config, which `docker inspect` shows). The dyno manager drives it as any runtime.
import { PassThrough, type Writable } from 'node:stream';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { DYNO_GID, DYNO_UID, type Container, type ContainerSpec, type ContainerStats, type ExitStatus, type Runtime } from '../runtime/types.ts';
import { STACK_NAME } from '../runtime/stack.ts';
import { LABELS } from './service-spec.ts';
import { oneOffRunner } from './runner.ts';
import { envFile } from './shell.ts';
import { engineSample } from './samples.ts';

const ENV_IN = '/run/slipway-env';
const SLUG_IN = '/slug';
const ONE_OFF_LABEL = 'slipway.one_off';

export interface EngineOneOffsOptions {
  docker: Docker;
  image: string;
  platform: string;
  /** Where each one-off's environment file is written (root-only, removed with it). */
  stateDir: string;
  /** How long output may take to drain after the exit (default 2 s). */
  drainMs?: number;
}

export class EngineOneOffs implements Runtime {
  readonly name = 'swarm' as const;
  readonly stack = STACK_NAME;
  /** The image stands for the stack here. */
  readonly stackDir = '/';

  constructor(private readonly o: EngineOneOffsOptions) {}

  /** The image is made by the cluster's start (image.ts). */
  async prepare(): Promise<void> {}

  /** Every engine one-off runs as the stack's `dyno` account, in a container of its own. */
  async userFor(): Promise<{ uid: number; gid: number }> {
    return { uid: DYNO_UID, gid: DYNO_GID };
  }

  async start(spec: ContainerSpec): Promise<Container> {
    if (!spec.app) throw new Error(`container ${spec.id}: an engine one-off needs a slug (spec.app)`);
    const dir = join(this.o.stateDir, 'one-offs');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const env = join(dir, `${spec.id}.env`);
    await writeFile(env, envFile(spec.env), { mode: 0o400 });
    await chmod(env, 0o400);
    const layers = spec.app.layers ?? [];
    const layersIn = layers.map((_, i) => `${SLUG_IN}-layer-${i}`);
    const labels = { [LABELS.platform]: this.o.platform, [ONE_OFF_LABEL]: 'true', ...(spec.tenant ? { [LABELS.appId]: spec.tenant } : {}) };
    try {
      const c = await this.o.docker.createContainer({
        name: spec.id, Image: this.o.image, Hostname: spec.hostname, Labels: labels, User: '0', WorkingDir: '/',
        Cmd: ['/bin/bash', '-c', oneOffRunner(ENV_IN, SLUG_IN, layersIn), 'runner', ...spec.argv],
        Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
        OpenStdin: spec.stdin === true, StdinOnce: spec.stdin === true, AttachStdin: spec.stdin === true, AttachStdout: true, AttachStderr: true, Tty: false,
        HostConfig: {
          Memory: spec.memoryLimitBytes, MemorySwap: spec.memoryLimitBytes, PidsLimit: spec.pidsLimit, CpuShares: spec.cpuShares ?? 1024,
          CapDrop: ['ALL'], CapAdd: ['CHOWN', 'SETUID', 'SETGID', 'KILL'], SecurityOpt: ['no-new-privileges'],
          Binds: [`${spec.app.lower}:${SLUG_IN}:ro`, ...layers.map((l, i) => `${l}:${layersIn[i]}:ro`), `${env}:${ENV_IN}:ro`],
          Tmpfs: { '/tmp': `size=${spec.tmpBytes ?? 512 << 20},mode=1777` },
        },
      } as never);
      const stream = await c.attach({ stream: true, stdin: spec.stdin === true, stdout: true, stderr: true, hijack: spec.stdin === true }) as NodeJS.ReadWriteStream;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      this.o.docker.modem.demuxStream(stream, stdout, stderr);
      stream.on('end', () => { stdout.end(); stderr.end(); });
      stream.on('error', () => { stdout.end(); stderr.end(); });
      await c.start();
      const info = await c.inspect() as { State?: { Pid?: number }; NetworkSettings?: { IPAddress?: string } };
      const exited = c.wait().then(async (r: { StatusCode?: number }) => {
        const oom = await c.inspect().then((i: { State?: { OOMKilled?: boolean } }) => i.State?.OOMKilled === true, () => false);
        await Promise.race([Promise.all([ended(stdout), ended(stderr)]), new Promise((res) => setTimeout(res, this.o.drainMs ?? 2000))]);
        return { code: r.StatusCode ?? 1, oomKilled: oom };
      });
      return new EngineContainer(spec.id, c, info.State?.Pid ?? 0, stdout, stderr, spec.stdin ? stream as unknown as Writable : null, exited, info.NetworkSettings?.IPAddress || '127.0.0.1', env);
    } catch (err) {
      await this.o.docker.getContainer(spec.id).remove({ force: true }).catch(() => undefined);
      await rm(env, { force: true });
      throw err;
    }
  }

  /** Removes this platform's one-off containers whose name starts with `prefix` (left by a stopped platform). */
  async cleanup(prefix: string): Promise<void> {
    const list = await this.o.docker.listContainers({ all: true, filters: { label: [`${LABELS.platform}=${this.o.platform}`, `${ONE_OFF_LABEL}=true`] } }) as { Id: string; Names?: string[] }[];
    for (const c of list) {
      if (c.Names?.some((n) => n.replace(/^\//, '').startsWith(prefix))) {
        await this.o.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      }
    }
    await rm(join(this.o.stateDir, 'one-offs'), { recursive: true, force: true });
  }
}

const ended = (s: PassThrough) => new Promise<void>((r) => { if (s.readableEnded) r(); else s.once('end', () => r()); });

class EngineContainer implements Container {
  private destroyed?: Promise<void>;

  constructor(
    readonly id: string,
    private readonly c: Docker.Container,
    readonly pid: number,
    readonly stdout: PassThrough,
    readonly stderr: PassThrough,
    readonly stdin: Writable | null,
    readonly exited: Promise<ExitStatus>,
    readonly address: string,
    private readonly envFile: string,
  ) {}

  async stats(): Promise<ContainerStats | undefined> {
    const raw = await this.c.stats({ stream: false, 'one-shot': true } as { stream: false }).catch(() => undefined);
    return raw ? engineSample((raw as { memory_stats?: { stats?: Record<string, number> } }).memory_stats?.stats) : undefined;
  }

  /** Runs a process in the container (as root: the terminal's resize), its exit code once it ends. */
  async exec(argv: string[], env?: Record<string, string>): Promise<number> {
    const e = await this.c.exec({ Cmd: argv, Env: env ? Object.entries(env).map(([k, v]) => `${k}=${v}`) : undefined, AttachStdout: true, AttachStderr: true });
    const s = await e.start({ hijack: true, stdin: false });
    s.resume();
    await new Promise((r) => { s.on('end', r); s.on('close', r); s.on('error', r); });
    return ((await e.inspect()) as { ExitCode?: number }).ExitCode ?? 1;
  }

  /** To the runner (pid 1), which passes it on to every process; SIGKILL ends the container at once. */
  async signal(signal: 'SIGTERM' | 'SIGKILL' | 'SIGHUP' | 'SIGINT'): Promise<void> {
    await this.c.kill({ signal }).catch(() => undefined);
  }

  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      await this.c.remove({ force: true }).catch(() => undefined);
      await rm(this.envFile, { force: true });
    })();
    return this.destroyed;
  }
}
