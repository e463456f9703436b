// git over SSH (`git@<host>:<app>.git`, `heroku git:remote --ssh-git`): an SSH server (ssh2) that takes
// only public-key logins as `git` with a key registered on an account, and only git's two commands,
// `git-receive-pack '<app>.git'` and `git-upload-pack '<app>.git'`, run by real git on the app's repo
// after the access check. No shell, no pty, no forwarding, no subsystems, no environment but GIT_PROTOCOL.
// A push goes through the same pre-receive hook and push table as git over HTTP.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import ssh2, { type Connection, type Server, type ServerChannel } from 'ssh2';
import { componentLogger, type Logger } from '../logger/index.ts';
import { FSCK, type GitApp, type GitUser, HOOKS_DIR, PUSH_MAX_BYTES, type PushContext } from './http.ts';
import type { Repos } from './repos.ts';

export interface GitSshOptions {
  port: number;
  /** Take any free port when `port` is taken (the port was not configured). */
  fallbackToAny?: boolean;
  host?: string;
  /** Where the host key is kept (made at first start). */
  dir: string;
  repos: Repos;
  /** The account a public key (its type and blob) belongs to. */
  keyOwner: (type: string, blob: Buffer) => Promise<GitUser | undefined>;
  findApp: (name: string) => Promise<GitApp | undefined>;
  /** May this account read and push this app's repository. */
  mayAccess: (user: GitUser, app: GitApp) => Promise<boolean>;
  /** The push table the pre-receive hook endpoint reads (git over HTTP's). */
  pushes: Map<string, PushContext>;
  hookUrl: string;
  maxPushBytes?: number;
  /** How long a connection may take to log in (default 30 s). */
  loginTimeoutMs?: number;
  /** Connections at once, past which new ones are closed (default 64). */
  maxConnections?: number;
  logger?: Logger;
}

const APP = '[a-z][a-z0-9-]{1,28}[a-z0-9]';
/**
 * git's commands as ssh clients send them: `git-receive-pack '/demo.git'`, `git upload-pack 'demo.git'`.
 * The path may carry a `<port>:` prefix, what `git@localhost:5000:demo.git` (the heroku CLI's ssh remote
 * when HEROKU_HOST has a port) sends.
 */
const COMMAND = new RegExp(`^git[- ](receive|upload)-pack '?/?(?:\\d{1,5}:)?(${APP})(?:\\.git)?/?'?$`);

export interface GitCommand { service: 'receive-pack' | 'upload-pack'; app: string }

/** The git command an exec request asks for, or undefined for anything else. */
export function parseGitCommand(command: string): GitCommand | undefined {
  const m = COMMAND.exec(command.trim());
  return m ? { service: m[1] === 'receive' ? 'receive-pack' : 'upload-pack', app: m[2]! } : undefined;
}

/** The key's type, as the blob names it (a client signs an ssh-rsa key with rsa-sha2-256: same key). */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  return n + 4 <= blob.length && n < 64 ? blob.subarray(4, 4 + n).toString('latin1') : undefined;
}

const SHELL_REFUSED = 'Slipway serves git over SSH only: no shell. Push with `git push` to git@<host>:<app>.git.\n';

export class GitSsh {
  private server?: Server;
  private readonly logger: Logger;
  private readonly clients = new Set<Connection>();
  port = 0;

  constructor(private readonly o: GitSshOptions) {
    this.logger = componentLogger(o.logger, 'git');
  }

  /**
   * The host key, made at first start (ed25519) and kept in `dir/host_ed25519`. A saved key ssh2
   * cannot read (saved before keys were checked) is made again: no client can have seen it, since no
   * server ever started with it.
   */
  private async hostKey(): Promise<string> {
    const file = join(this.o.dir, 'host_ed25519');
    const saved = await readFile(file, 'utf8').catch(() => undefined);
    if (saved !== undefined && !(ssh2.utils.parseKey(saved) instanceof Error)) return saved;
    if (saved !== undefined) this.logger.warn(`the saved SSH host key ${file} cannot be read (ssh2 makes such a key about once in 256); a new one is made in its place`);
    await mkdir(this.o.dir, { recursive: true, mode: 0o700 });
    // ssh2 makes a key it cannot read back about once in 256 (a public key starting with a zero byte
    // loses it: mscdex/ssh2#1390): made again until it parses, or the server could never start.
    let pair = ssh2.utils.generateKeyPairSync('ed25519');
    for (let i = 0; i < 20 && ssh2.utils.parseKey(pair.private) instanceof Error; i++) pair = ssh2.utils.generateKeyPairSync('ed25519');
    await writeFile(`${file}.tmp`, pair.private, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
    return pair.private;
  }

  async listen(): Promise<void> {
    const server = new ssh2.Server({ hostKeys: [await this.hostKey()], ident: 'Slipway' }, (client) => this.connection(client));
    server.maxConnections = this.o.maxConnections ?? 64;
    this.server = server;
    const attempt = (port: number) => new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.o.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      await attempt(this.o.port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.o.fallbackToAny) {
        throw new Error(`the git SSH port ${this.o.port} is already in use; pick another (SLIPWAY_SSH_PORT, 0 turns git over SSH off).`);
      }
      await attempt(0);
    }
    this.port = (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.end();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private connection(client: Connection): void {
    this.clients.add(client);
    let user: GitUser | undefined;
    const login = setTimeout(() => client.end(), this.o.loginTimeoutMs ?? 30_000);
    client.on('error', (err) => this.logger.debug(`ssh connection: ${err.message}`));
    client.on('close', () => {
      clearTimeout(login);
      this.clients.delete(client);
    });
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== 'git') return ctx.reject(['publickey']);
      const type = blobType(ctx.key.data);
      void (async () => {
        const owner = type ? await this.o.keyOwner(type, ctx.key.data) : undefined;
        if (!owner) return ctx.reject(['publickey']);
        // Without a signature the client only asks whether this key would do.
        if (!ctx.signature) return ctx.accept();
        const key = ssh2.utils.parseKey(`${type} ${ctx.key.data.toString('base64')}`);
        if (key instanceof Error || key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
        user = owner;
        ctx.accept();
      })().catch((err) => {
        this.logger.error({ err }, 'ssh key check failed');
        ctx.reject(['publickey']);
      });
    });
    client.on('ready', () => {
      clearTimeout(login);
      client.on('session', (accept) => {
        const session = accept();
        let protocol = '';
        session.on('pty', (_a, reject) => reject?.());
        session.on('x11', (_a, reject) => reject?.());
        session.on('auth-agent', (_a, reject) => reject?.());
        session.on('subsystem', (_a, reject) => reject?.());
        session.on('sftp', (_a, reject) => reject?.());
        session.on('signal', (_a, reject) => reject?.());
        session.on('env', (accept, reject, info) => {
          if (info.key === 'GIT_PROTOCOL' && /^[a-z0-9=:.-]{0,64}$/i.test(info.val)) {
            protocol = info.val;
            accept?.();
          } else reject?.();
        });
        session.on('shell', (accept) => refuse(accept(), SHELL_REFUSED));
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          void this.exec(channel, user!, info.command, protocol).catch((err) => {
            this.logger.error({ err }, 'git over ssh failed');
            refuse(channel, 'Platform error; nothing was changed.\n');
          });
        });
      });
      // No port forwarding either way.
      client.on('tcpip', (_a, reject) => reject());
      client.on('request', (_a, reject) => reject?.());
    });
  }

  private async exec(channel: ServerChannel, user: GitUser, command: string, protocol: string): Promise<void> {
    const cmd = parseGitCommand(command.slice(0, 300));
    if (!cmd) return refuse(channel, `${SHELL_REFUSED.trim()} (asked: ${JSON.stringify(command.slice(0, 80))})\n`);
    const app = await this.o.findApp(cmd.app);
    // An app the account may not reach is answered as one that does not exist.
    if (!app || !(await this.o.mayAccess(user, app))) return refuse(channel, `Couldn't find that app: ${cmd.app}.\n`);
    const repo = this.o.repos.path(app.id);
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_PROTOCOL: protocol };
    let token: string | undefined;
    let finish = () => undefined as void;
    if (cmd.service === 'receive-pack') {
      token = randomBytes(24).toString('hex');
      const finished = new Promise<void>((r) => { finish = r; });
      this.o.pushes.set(token, { app, user, finished, receivedAt: Date.now() });
      Object.assign(env, { SLIPWAY_HOOK_URL: this.o.hookUrl, SLIPWAY_HOOK_TOKEN: token });
    }
    this.logger.info({ app: app.name, user: user.email }, `git ${cmd.service} over ssh`);
    const args = cmd.service === 'receive-pack' ? ['-c', `core.hooksPath=${HOOKS_DIR}`, ...FSCK, 'receive-pack', repo] : ['upload-pack', repo];
    const p = spawn('git', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const kill = () => { if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM'); };
    const max = this.o.maxPushBytes ?? PUSH_MAX_BYTES;
    let seen = 0;
    const bound = new Transform({
      transform: (chunk: Buffer, _enc, next) => {
        seen += chunk.length;
        if (seen <= max) return next(null, chunk);
        channel.stderr.write(`The push is larger than ${max} bytes, the most this platform takes (SLIPWAY_PUSH_MAX_BYTES).\n`);
        kill();
        next();
      },
    });
    channel.pipe(bound).pipe(p.stdin);
    p.stdin.on('error', () => undefined);
    p.stdout.pipe(channel, { end: false });
    p.stderr.pipe(channel.stderr, { end: false });
    p.on('error', (err) => {
      this.logger.error(`git ${cmd.service} failed to start: ${err.message}`);
      refuse(channel, 'Platform error: git could not run.\n');
    });
    channel.on('close', kill);
    p.on('close', (code) => {
      if (token) this.o.pushes.delete(token);
      finish();
      channel.exit(code ?? 1);
      channel.end();
    });
  }
}

/** Tells the client why, ends the command with status 1. */
function refuse(channel: ServerChannel, message: string): void {
  channel.stderr.write(message);
  channel.exit(1);
  channel.end();
}
