// A syslog drain: one long-lived TCP (or TLS) connection carrying octet-counted RFC 5424 frames.
//
// Flow control: frames are written while the socket accepts them; when `write` says the socket's
// buffer is full the drain waits for 'drain', and lines meanwhile wait in the bounded backlog.
// Losses: bytes already written when the connection breaks are gone (TCP cannot say which arrived);
// the lines of every write whose callback reports an error are counted as dropped and reported by the
// next L10. A failed connect or a broken connection is retried with back-off; a certificate the drain
// cannot verify is also reported in the app's stream once per failure episode (L14).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Drain, type DrainOptions } from './drain.ts';
import { overflowLine, syslogFrame } from './frame.ts';
import { redactDrainUrl, type SyslogTarget } from './url.ts';

/** Lines per write; big enough to amortize the syscall, small enough to interleave with other work. */
const BATCH_LINES = 512;
const BATCH_BYTES = 64 * 1024;
const CONNECT_TIMEOUT_MS = 3000;

export class SyslogDrain extends Drain {
  private readonly target: SyslogTarget;
  private socket: Socket | undefined;
  /** The socket being connected, so that closing the drain can abandon it. */
  private connectingSocket: Socket | undefined;
  private connecting = false;
  private waitingForDrain = false;
  private certNoticeSent = false;

  constructor(opts: DrainOptions & { target: SyslogTarget }) {
    super(opts);
    this.target = opts.target;
  }

  protected pump(): void {
    if (!this.socket) {
      if (!this.connecting) this.connect();
      return;
    }
    const socket = this.socket;
    while (!this.waitingForDrain && (this.buffer.length > 0 || this.buffer.pendingDrops > 0)) {
      const drops = this.buffer.takeDrops();
      const batch = this.buffer.take(BATCH_LINES, BATCH_BYTES, (line) => syslogFrame(line, this.token));
      const text = (drops ? syslogFrame(overflowLine(drops.dropped, drops.since, new Date()), this.token) : '') + batch.text;
      const lines = batch.count;
      const since = drops?.since ?? batch.oldest ?? new Date();
      // An L10 notice is ASCII, so the batch decides the encoding (latin1 writes ASCII unchanged).
      const ok = socket.write(text, batch.ascii ? 'latin1' : 'utf8', (err) => {
        if (err) this.buffer.lost(lines + (drops?.dropped ?? 0), since);
        else this.delivered += lines;
      });
      if (!ok) {
        this.waitingForDrain = true;
        socket.once('drain', () => {
          this.waitingForDrain = false;
          this.kick();
        });
      }
    }
  }

  protected canTakeNow(): boolean {
    return this.socket !== undefined && !this.waitingForDrain;
  }

  protected idle(): boolean {
    return this.buffer.length === 0 && (!this.socket || this.socket.writableLength === 0);
  }

  protected shutdown(): void {
    this.socket?.destroy();
    this.connectingSocket?.destroy();
    this.socket = undefined;
    this.connectingSocket = undefined;
  }

  private connect(): void {
    this.connecting = true;
    const { host, port, tls, insecure } = this.target;
    if (this.refused(host)) {
      this.connecting = false;
      this.retryLater();
      return;
    }
    const socket: Socket = tls
      ? tlsConnect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: !insecure, lookup: this.lookup as never })
      : netConnect({ host, port, lookup: this.lookup as never });
    this.connectingSocket = socket;
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)));
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      this.connectingSocket = undefined;
      if (this.closed) {
        socket.destroy();
        return;
      }
      socket.setTimeout(0);
      socket.setKeepAlive(true, 30_000);
      this.connecting = false;
      this.socket = socket;
      this.certNoticeSent = false;
      this.succeeded();
      this.kick();
    });
    socket.on('data', () => undefined); // a receiver has nothing to say; don't let it fill our buffers
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.refused('', err);
      if (tls && !this.certNoticeSent && isCertificateError(err)) {
        this.certNoticeSent = true;
        this.opts.notice(`Error L14 (certificate validation): error="${err.message}" uri="${redactDrainUrl(this.url)}"`);
      }
    });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      if (this.connectingSocket === socket) this.connectingSocket = undefined;
      this.connecting = false;
      this.waitingForDrain = false;
      if (!this.closed) this.retryLater();
    });
  }
}

export function isCertificateError(err: NodeJS.ErrnoException): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(err.code ?? '');
}
