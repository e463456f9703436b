// git's smart HTTP protocol for app repositories (`/<app>.git/...`), served by real git:
// `git receive-pack` / `git upload-pack --stateless-rpc`. HTTP Basic auth with the API key as password.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Repos } from './repos.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export interface GitUser { id: string; email: string }
export interface GitApp { id: string; name: string }

export interface PushContext {
  app: GitApp;
  user: GitUser;
  /** Settles when this push's `git receive-pack` has exited, i.e. after git moved (or refused) the refs. */
  finished: Promise<void>;
  /** When its `receive-pack` request came (ms since the epoch): the deploy's first phase starts here. */
  receivedAt: number;
}

export interface GitHttpOptions {
  repos: Repos;
  authenticate: (req: IncomingMessage) => Promise<GitUser | undefined>;
  /** The app named, if `user` may use it (apps/access.ts decides); undefined answers as if there were none. */
  findApp: (user: GitUser, name: string) => Promise<GitApp | undefined>;
  /** Where the pre-receive hook posts the pushed refs (the platform's internal hook endpoint). */
  hookUrl: string;
  /** The most a request body may hold once decompressed (SLIPWAY_PUSH_MAX_BYTES); past it, 413. */
  maxPushBytes?: number;
  logger?: Logger;
}

/** Default bound of a git request body, decompressed: 1 GiB. */
export const PUSH_MAX_BYTES = 1024 ** 3;

export const HOOKS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'hooks');
/**
 * Pushed objects are checked: a crafted tree (duplicate entries, `.git` or `..` names) is refused before
 * it is ever checked out. Malformed author and committer lines, which old tools wrote into real
 * histories and which are harmless here, are only warned about.
 */
export const FSCK = ['-c', 'receive.fsckObjects=true', ...['badDate', 'badDateOverflow', 'badEmail', 'badName', 'badTimezone', 'missingEmail',
  'missingNameBeforeEmail', 'missingSpaceBeforeDate', 'missingSpaceBeforeEmail', 'zeroPaddedDate', 'zeroPaddedFilemode']
  .flatMap((id) => ['-c', `receive.fsck.${id}=warn`])];
const PATH = /^\/([a-z][a-z0-9-]{1,28}[a-z0-9])\.git\/(info\/refs|git-receive-pack|git-upload-pack)$/;

export class GitHttp {
  /** Pushes in flight, by the one-time token their hook presents. */
  readonly pushes = new Map<string, PushContext>();

  private readonly logger: Logger;

  constructor(private readonly o: GitHttpOptions) {
    this.logger = componentLogger(o.logger, 'git');
  }

  /** True when the request was a git request (and has been answered). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = requestTarget(req.url);
    if (!url.pathname.endsWith('.git') && !url.pathname.includes('.git/')) return false;
    void this.serve(req, res, url).catch((err) => {
      this.logger.error({ err }, 'request failed');
      if (!res.headersSent) text(res, 500, 'Internal error\n');
      else res.destroy();
    });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: RequestTarget): Promise<void> {
    const m = PATH.exec(url.pathname);
    if (!m) return text(res, 404, 'Repository not found. App repositories are at /<app>.git\n');
    const [, name, action] = m as unknown as [string, string, string];
    const user = await this.o.authenticate(req);
    if (!user) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Slipway"');
      return text(res, 401, 'Invalid credentials: use your API key as the password (slipway login writes it to ~/.netrc).\n');
    }
    const app = await this.o.findApp(user, name);
    if (!app) return text(res, 404, `Couldn't find that app: ${name}.\n`);
    const repo = this.o.repos.path(app.id);
    if (action === 'info/refs') {
      const service = url.searchParams.get('service');
      if (service !== 'git-receive-pack' && service !== 'git-upload-pack') {
        return text(res, 403, 'Only the smart HTTP protocol is supported; upgrade git.\n');
      }
      res.writeHead(200, { 'Content-Type': `application/x-${service}-advertisement`, 'Cache-Control': 'no-cache' });
      const header = `# service=${service}\n`;
      res.write(`${(header.length + 4).toString(16).padStart(4, '0')}${header}0000`);
      const p = spawn('git', [service.slice(4), '--stateless-rpc', '--advertise-refs', repo], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.on('error', (err) => { this.logger.error(`${service} failed to start: ${err.message}`); res.destroy(); });
      p.stdout.pipe(res);
      return;
    }
    const service = action;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'gzip' && encoding !== 'identity') {
      return text(res, 415, `Content-Encoding ${JSON.stringify(String(encoding).slice(0, 40))} is not supported; send gzip or no encoding.\n`);
    }
    const max = this.o.maxPushBytes ?? PUSH_MAX_BYTES;
    const tooLarge = `The push is larger than ${max} bytes, the most this platform takes (SLIPWAY_PUSH_MAX_BYTES); push less at once (a few commits at a time) or ask the operator to raise it.\n`;
    if (Number(req.headers['content-length'] ?? 0) > max && encoding !== 'gzip') return text(res, 413, tooLarge, true);
    const token = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_PROTOCOL: String(req.headers['git-protocol'] ?? '') };
    let finish = () => undefined as void;
    if (service === 'git-receive-pack') {
      const finished = new Promise<void>((r) => { finish = r; });
      this.pushes.set(token, { app, user, finished, receivedAt: Date.now() });
      Object.assign(env, { SLIPWAY_HOOK_URL: this.o.hookUrl, SLIPWAY_HOOK_TOKEN: token });
    }
    const args = service === 'git-receive-pack'
      ? ['-c', `core.hooksPath=${HOOKS_DIR}`, ...FSCK, 'receive-pack', '--stateless-rpc', repo]
      : ['upload-pack', '--stateless-rpc', repo];
    const p = spawn('git', args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const done = () => {
      this.pushes.delete(token);
      finish();
    };
    // The 200 goes out with git's first byte: a request git could not read (a broken gzip body, git
    // failing to run) is answered 400 while it still can be; later, a fault can only cut the answer
    // short, and the client's git reports the broken stream. None may throw out of this listener.
    const fail = (what: string) => (err: Error) => {
      this.logger.error({ app: app.name }, `${service}: ${what}: ${err.message}`);
      if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM');
      if (res.headersSent) res.destroy();
      else text(res, 400, `Bad request: ${what}.\n`);
    };
    p.on('error', fail('git could not run'));
    req.on('error', fail('the request broke off'));
    let body: NodeJS.ReadableStream = req;
    if (encoding === 'gzip') {
      const gunzip = createGunzip();
      gunzip.on('error', fail('the gzip request body is invalid'));
      body = req.pipe(gunzip);
    }
    // Bounded once decompressed: a small gzip body may unpack to any size.
    let seen = 0;
    const bound = new Transform({
      transform: (chunk: Buffer, _enc, next) => {
        seen += chunk.length;
        if (seen <= max) return next(null, chunk);
        this.logger.warn({ app: app.name }, `${service}: request body past ${max} bytes refused`);
        body.unpipe(bound);
        if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM');
        if (res.headersSent) res.destroy();
        else text(res, 413, tooLarge, true);
        next();
      },
    });
    body.pipe(bound).pipe(p.stdin);
    p.stdin.on('error', () => undefined);
    p.stdout.once('data', (first: Buffer) => {
      p.stdout.pause();
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(200, { 'Content-Type': `application/x-${service}-result`, 'Cache-Control': 'no-cache' });
      res.write(first);
      p.stdout.pipe(res);
    });
    p.on('close', (code) => {
      done();
      if (res.headersSent || res.writableEnded) return;
      if (code === 0) res.writeHead(200, { 'Content-Type': `application/x-${service}-result`, 'Cache-Control': 'no-cache' }).end();
      else text(res, 400, `Bad request: git could not read it (${service} exited ${code}).\n`);
    });
    res.on('close', () => { if (p.exitCode === null && p.pid !== undefined) p.kill('SIGTERM'); });
  }
}

/** A request's path and query, parsed without `new URL` (which throws on targets like `//x:99999/`). */
export interface RequestTarget { pathname: string; searchParams: URLSearchParams }

/**
 * Splits a request target into its raw path (not percent-decoded: routes match it exactly) and query.
 * Never throws, whatever the client sent.
 */
export function requestTarget(target: string | undefined): RequestTarget {
  const raw = target ?? '/';
  const q = raw.indexOf('?');
  return { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** A plain-text answer; `close`: the connection ends with it (the rest of the body is not read). */
function text(res: ServerResponse, status: number, body: string, close = false): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(close ? { Connection: 'close' } : {}) });
  res.end(body);
}
