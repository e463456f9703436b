// The `run` rendezvous: a TLS port where an attached one-off dyno meets its client, as Heroku's
// rendezvous service does. The client (slipway or heroku CLI) connects, writes `<secret>\r\n`; we answer
// one greeting line, which the client discards, then the socket is the dyno's terminal.
// Each secret is good once and for `attachTimeoutMs`; a client with a wrong or late secret is closed.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { componentLogger, type Logger } from '../logger/index.ts';

export interface RendezvousOptions {
  logger?: Logger;
  /** The port to listen on; `fallbackToAny` lets it take a free one when this is taken. */
  port: number;
  fallbackToAny?: boolean;
  host?: string;
  /** Host name clients reach us by (goes into attach_url; the certificate must cover it). */
  publicHost: string;
  key: string;
  cert: string;
  /** The CA that signed `cert`, handed to clients so they can verify us. */
  caPem: string;
  /** How long an attached one-off waits for its client (Heroku's CLI gives up after 120 s). */
  attachTimeoutMs?: number;
}

interface Pending { onAttach: (s: Duplex) => void; timer: NodeJS.Timeout }

export class Rendezvous {
  private readonly server: Server;
  private readonly pending = new Map<string, Pending>();
  private readonly sockets = new Set<TLSSocket>();
  readonly caPem: string;

  private readonly logger: Logger;

  constructor(private readonly o: RendezvousOptions) {
    this.logger = componentLogger(o.logger, 'rendezvous');
    this.caPem = o.caPem;
    this.server = createServer({ key: o.key, cert: o.cert }, (socket) => {
      try {
        this.connected(socket);
      } catch (err) {
        this.logger.error({ err }, 'a connection failed');
        socket.destroy();
      }
    });
    // A client that is not speaking TLS (or gives up mid-handshake) is dropped; nothing to report.
    this.server.on('tlsClientError', () => undefined);
  }

  /** `rendezvous://host:port`, the base of every attach_url (valid once listening). */
  get url(): string {
    const addr = this.server.address();
    return `rendezvous://${this.o.publicHost}:${typeof addr === 'object' && addr ? addr.port : this.o.port}`;
  }

  async listen(): Promise<void> {
    const attempt = (port: number) => new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, this.o.host ?? '0.0.0.0', () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    try {
      await attempt(this.o.port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !this.o.fallbackToAny) {
        throw new Error(`the run rendezvous port ${this.o.port} is already in use; pick another (SLIPWAY_RENDEZVOUS_PORT).`);
      }
      await attempt(0);
    }
  }

  expect(onAttach: (s: Duplex) => void, onTimeout: () => void): string {
    const secret = randomBytes(24).toString('hex');
    const timer = setTimeout(() => {
      this.pending.delete(secret);
      onTimeout();
    }, this.o.attachTimeoutMs ?? 120_000);
    this.pending.set(secret, { onAttach, timer });
    return secret;
  }

  close(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  private connected(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = Buffer.alloc(0);
    const giveUp = setTimeout(() => socket.destroy(), 10_000);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf('\n');
      if (nl < 0) {
        if (head.length > 1024) socket.destroy();
        return;
      }
      socket.off('data', onData);
      clearTimeout(giveUp);
      const secret = head.subarray(0, nl).toString('utf8').trim().split('?')[0]!;
      const rest = head.subarray(nl + 1);
      const p = this.pending.get(secret);
      if (!p) {
        socket.end('rendezvous: unknown or expired session\r\n');
        return;
      }
      this.pending.delete(secret);
      clearTimeout(p.timer);
      socket.pause();
      // The client throws away the first chunk it receives: send the greeting alone and let it arrive
      // before any of the dyno's output can.
      // The socket stays paused: the consumer resumes it once it listens, so no keystroke is lost.
      socket.write('rendezvous\r\n', () => setTimeout(() => {
        try {
          if (rest.length) socket.unshift(rest);
          p.onAttach(socket);
        } catch (err) {
          this.logger.error({ err }, 'attaching a client failed');
          socket.destroy();
        }
      }, 50));
    };
    socket.on('data', onData);
  }
}
