// Drain receivers for tests (not a test file itself): a syslog listener (TCP or TLS) that parses
// RFC 6587 octet counting and RFC 5424 strictly, and an HTTP(S) listener for application/logplex-1
// POSTs. Both listen on loopback, on a free port, and record what they got in order.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SyslogMessage {
  pri: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** `-` or the STRUCTURED-DATA field (absent, undefined, in logplex's HTTP frames). */
  structuredData?: string;
  message: string;
}

/**
 * Splits `<len> <msg>` frames off the front of `buf`. Throws when the framing is wrong (a length that
 * is not a number, or a frame that is not followed by the next length), so a test sees bad framing.
 */
export function parseOctetFrames(buf: Buffer): { frames: string[]; rest: Buffer } {
  const frames: string[] = [];
  let at = 0;
  for (;;) {
    const space = buf.indexOf(0x20, at);
    if (space === -1) break;
    const lenText = buf.subarray(at, space).toString('latin1');
    if (!/^[1-9]\d{0,6}$/.test(lenText)) throw new Error(`bad octet count ${JSON.stringify(lenText)} at byte ${at}`);
    const len = Number(lenText);
    if (buf.length < space + 1 + len) break;
    frames.push(buf.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return { frames, rest: buf.subarray(at) };
}

/** RFC 5424 `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`; `withSd` false for logplex's HTTP frames. */
export function parseSyslog(frame: string, withSd = true): SyslogMessage {
  const re = withSd
    ? /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\]) ([\s\S]*)$/
    : /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ([\s\S]*)$/;
  const m = re.exec(frame);
  if (!m) throw new Error(`not an RFC 5424 message: ${JSON.stringify(frame.slice(0, 200))}`);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/.test(m[2]!)) throw new Error(`bad RFC 5424 timestamp ${m[2]}`);
  return withSd
    ? { pri: Number(m[1]), timestamp: m[2]!, hostname: m[3]!, appName: m[4]!, procId: m[5]!, msgId: m[6]!, structuredData: m[7]!, message: m[8]! }
    : { pri: Number(m[1]), timestamp: m[2]!, hostname: m[3]!, appName: m[4]!, procId: m[5]!, msgId: m[6]!, message: m[7]! };
}

export interface Tls { key: Buffer; cert: Buffer; ca: Buffer; caFile: string; dir: string }

/** A throwaway CA and a certificate it signs for 127.0.0.1 and localhost (openssl). */
export async function makeTls(): Promise<Tls> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-drain-tls-'));
  const f = (n: string) => join(dir, n);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=drain test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr')]);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-sha256', '-days', '2', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-extfile', f('ext.cnf'), '-out', f('server.pem')]);
  return { key: await readFile(f('server.key')), cert: await readFile(f('server.pem')), ca: await readFile(f('ca.pem')), caFile: f('ca.pem'), dir };
}

export async function removeTls(tls: Tls | undefined): Promise<void> {
  if (tls) await rm(tls.dir, { recursive: true, force: true });
}

abstract class Receiver {
  readonly messages: SyslogMessage[] = [];
  port = 0;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  /** Resolves when `test` holds (checked on every message), rejects after `ms`. */
  waitUntil(test: (messages: SyslogMessage[]) => boolean, what: string, ms = 20_000): Promise<void> {
    if (test(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; got ${this.messages.length} messages, last: ${JSON.stringify(this.messages.at(-1))}`)), ms);
      this.waiters.push({ test: () => test(this.messages), resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  protected got(m: SyslogMessage): void {
    this.messages.push(m);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }
}

/** A syslog drain receiver over TCP, or TLS when given a certificate. */
export class SyslogReceiver extends Receiver {
  errors: string[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly tls?: Tls) {
    super();
  }

  /** Listens on `port` (0: any free one; the same one again after `stop` to come back). */
  async start(port = this.port): Promise<void> {
    const onSocket = (socket: Socket) => {
      this.sockets.add(socket);
      let buf: Buffer = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        try {
          const { frames, rest } = parseOctetFrames(buf);
          buf = rest;
          for (const f of frames) this.got(parseSyslog(f));
        } catch (err) {
          this.errors.push(String(err));
          socket.destroy();
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    };
    this.server = this.tls ? createTlsServer({ key: this.tls.key, cert: this.tls.cert }, onSocket) : createNetServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

export interface HttpPost {
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

/** An HTTP(S) drain receiver; `status` picks each answer (default 200). */
export class HttpReceiver extends Receiver {
  readonly posts: HttpPost[] = [];
  errors: string[] = [];
  status: (post: Omit<HttpPost, 'status'>) => number = () => 200;
  private server: HttpServer | undefined;

  constructor(private readonly tls?: Tls) {
    super();
  }

  async start(port = this.port): Promise<void> {
    const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const status = this.status({ headers: req.headers, body: body.toString('utf8') });
        this.posts.push({ headers: req.headers, body: body.toString('utf8'), status });
        if (status >= 200 && status < 300) {
          try {
            const { frames, rest } = parseOctetFrames(body);
            if (rest.length) throw new Error(`${rest.length} bytes after the last frame`);
            if (String(frames.length) !== req.headers['logplex-msg-count']) throw new Error(`Logplex-Msg-Count ${req.headers['logplex-msg-count']} but ${frames.length} frames`);
            for (const f of frames) this.got(parseSyslog(f, false));
          } catch (err) {
            this.errors.push(String(err));
          }
        }
        res.writeHead(status, { 'Content-Length': '0' });
        res.end();
      });
    };
    this.server = this.tls ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}
