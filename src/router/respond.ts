// Writing the router's own answers: a page on a normal response, or raw HTTP/1.1 on a socket that
// was handed over for an Upgrade (Node's ServerResponse is not available there).
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { APPLICATION_ERROR_PAGE, HTML_CONTENT_TYPE } from './pages.ts';

export function pageHeaders(body: string): Record<string, string | number> {
  return { 'Content-Type': HTML_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, no-store' };
}

/** Sends a router-made page unless the response already started (then the client is cut off). */
export function sendPage(res: ServerResponse, status: number, body: string = APPLICATION_ERROR_PAGE): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  res.writeHead(status, pageHeaders(body));
  res.end(body);
}

/** `HTTP/1.1 <status> <reason>` plus a flat `[name, value, ...]` header list and the blank line. */
export function rawHead(status: number, reason: string | undefined, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || ''}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** A complete response on a raw socket, then the socket is closed. */
export function sendRawPage(socket: Duplex, status: number, body: string = APPLICATION_ERROR_PAGE): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const headers = Object.entries({ ...pageHeaders(body), Connection: 'close' }).flatMap(([k, v]) => [k, String(v)]);
  socket.end(rawHead(status, undefined, headers) + body);
}
