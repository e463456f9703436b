// The API port speaks both plain HTTP and HTTPS: the official CLI writes `https://<host>:<port>/<app>.git`
// git remotes for the same host:port it calls the API on over http. A connection's first byte tells them
// apart (0x16 opens every TLS handshake; no HTTP method starts with it), and the socket is handed,
// with that byte put back, to the TLS layer or straight to the HTTP server.
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface SniffOptions {
  /** The server certificate (PEM, chain included) and its key. */
  cert: string;
  key: string;
  /** How long a connection may stay silent before its first byte (default 30 s); then it is closed. */
  firstByteTimeoutMs?: number;
  /** Told when a TLS handshake fails (a client that does not trust the CA, garbage after 0x16). */
  onTlsError?: (err: Error) => void;
}

/** A TLS handshake's first byte (record type 22, handshake). */
export const TLS_HANDSHAKE = 0x16;

/** Whether a connection that opened with `first` is a TLS client. */
export const isTlsStart = (first: number | undefined): boolean => first === TLS_HANDSHAKE;

/** A listener that serves `http` on one port over plain TCP and over TLS. */
export function plainAndTls(http: HttpServer, o: SniffOptions): Server {
  const tls = createTlsServer({ cert: o.cert, key: o.key, ALPNProtocols: ['http/1.1'] }, (secure) => http.emit('connection', secure));
  tls.on('tlsClientError', (err, socket) => {
    o.onTlsError?.(err);
    socket.destroy();
  });
  const timeout = o.firstByteTimeoutMs ?? 30_000;
  const server = createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(timeout, () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(chunk);
      // The TLS layer reads what is buffered itself; the HTTP server reads as the stream flows.
      if (isTlsStart(chunk[0])) return void tls.emit('connection', socket);
      http.emit('connection', socket);
      socket.resume();
    });
    socket.resume();
  });
  // The HTTP server never listens itself: closing the listener stops new connections, and these go too.
  server.on('close', () => http.closeAllConnections?.());
  return server;
}
