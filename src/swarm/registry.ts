// The registry the platform runs itself when the swarm has more than one node and SLIPWAY_REGISTRY names
// none: Debian's `docker-registry` (the CNCF distribution registry), supervised as the add-on servers
// are (restarted when it dies, a leftover of a killed platform stopped by its pid file). Two processes
// over one storage dir under the data dir: a read-only one on the address nodes reach this machine at
// (nodes pull the stack image from it; nobody can push there) and a writable one on loopback, which only
// this machine's engine pushes to. Both run as Debian's `docker-registry` user in a private mount
// namespace that sees the storage dir at /mnt (the data dir is root's alone).
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Supervisor, type ServerSpec } from '../addons/supervisor.ts';
import { systemUser } from '../addons/system-user.ts';

const USER = 'docker-registry';

export interface PlatformRegistryOptions {
  /** Its dir under the data dir (config, storage, logs, pid files). */
  dir: string;
  /** Where nodes pull from: a local address of this machine (0.0.0.0 for every one) and the port. */
  host: string;
  port: number;
  /** A free loopback port for the writable side. */
  pushPort: number;
  say: (line: string) => void;
}

/** The registry's config: storage at /mnt/data (see the header), listening on `addr`. */
export function registryConfig(addr: string, readonly: boolean): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    '    rootdirectory: /mnt/data',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    '    readonly:',
    `      enabled: ${readonly}`,
    'http:',
    `  addr: ${addr}`,
    '',
  ].join('\n');
}

export class PlatformRegistry {
  private readonly supervisor: Supervisor;

  constructor(private readonly o: PlatformRegistryOptions) {
    this.supervisor = new Supervisor(o.say);
  }

  /** `host:port` nodes pull from, and the loopback one this machine's engine pushes to. */
  get pullFrom(): string { return `${this.o.host === '0.0.0.0' ? '127.0.0.1' : this.o.host}:${this.o.port}`; }
  get pushTo(): string { return `127.0.0.1:${this.o.pushPort}`; }

  async start(): Promise<void> {
    const { uid, gid } = await systemUser(USER).catch(() => { throw new Error('the docker-registry user does not exist (install Debian\'s docker-registry package)'); });
    await mkdir(join(this.o.dir, 'data'), { recursive: true, mode: 0o700 });
    await chown(this.o.dir, uid, gid);
    await chown(join(this.o.dir, 'data'), uid, gid);
    for (const [name, addr, readonly] of [['pull', `${this.o.host}:${this.o.port}`, true], ['push', this.pushTo, false]] as const) {
      const config = `${name}.yml`;
      await writeFile(join(this.o.dir, config), registryConfig(addr, readonly), { mode: 0o644 });
      const pidFile = join(this.o.dir, `${name}.pid`);
      const script = 'echo $$ > "$1"; mount --bind "$0" /mnt && exec setpriv --reuid="$2" --regid="$3" --clear-groups -- docker-registry serve "/mnt/$4"';
      const spec: ServerSpec = {
        name: `registry ${name}`,
        command: ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, this.o.dir, pidFile, String(uid), String(gid), config]],
        logFile: join(this.o.dir, `${name}.log`), stopSignal: 'SIGTERM', pidFile, comm: 'docker-registry',
        ready: () => fetch(`http://${addr.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}/v2/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false),
      };
      await this.supervisor.start(spec).catch((err: Error) => { throw new Error(`the platform's registry (${name === 'pull' ? addr : 'loopback'}) did not start: ${err.message}`); });
    }
    this.o.say(`registry: nodes pull the stack image from ${this.pullFrom}`);
  }

  stop(): Promise<void> {
    return this.supervisor.stopAll();
  }
}

