// The blob endpoint tasks fetch their slug from: a listener of its own (so the firewall can open this
// port alone to tasks), answering only GET of a slug blob by a signed, expiring URL. Everything else is a
// 404; a bad or old signature a 403. Bodies stream from disk.
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { concatenated } from '../slugs/index.ts';
import type { Logger } from '../logger/index.ts';

const SLUG = /^\/slugs\/([0-9a-f]{64})$/;

export interface BlobEndpointOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  /** The files of the slug whose blob is `sha256`, in order (its layers' members, then the blob), or undefined when not stored. */
  files: (sha256: string) => Promise<string[] | undefined>;
  sign: (claim: string) => string;
  verify: (claim: string, signature: string) => boolean;
  logger: Logger;
}

const claim = (sha256: string, expires: number | string) => `swarm-slug:GET:${sha256}:${expires}`;

export class BlobEndpoint {
  private server?: Server;
  port = 0;

  constructor(private readonly o: BlobEndpointOptions) {}

  /** A URL for `sha256` that works until `expiresAt` (seconds since the epoch), at `base` (how tasks reach this listener). */
  url(base: string, sha256: string, expiresAt: number): string {
    return `${base}/slugs/${sha256}?expires=${expiresAt}&signature=${this.o.sign(claim(sha256, expiresAt))}`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      const answer = (status: number, text: string) => { res.writeHead(status, { 'Content-Type': 'text/plain' }); res.end(`${text}\n`); };
      // Anyone on the network reaches this port: a request target no URL can be made of is refused, not thrown.
      const url = URL.canParse(req.url ?? '/', 'http://blob') ? new URL(req.url ?? '/', 'http://blob') : undefined;
      if (!url) return answer(400, 'Bad request.');
      const m = SLUG.exec(url.pathname);
      if (req.method !== 'GET' || !m) return answer(404, 'Not found.');
      const expires = url.searchParams.get('expires') ?? '';
      if (!this.o.verify(claim(m[1]!, expires), url.searchParams.get('signature') ?? '')) return answer(403, 'This slug URL is not valid.');
      if (!(Number(expires) * 1000 > Date.now())) return answer(403, 'This slug URL has expired.');
      void this.o.files(m[1]!).then((files) => {
        if (!files) return answer(404, 'No such slug.');
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        // A layered slug is assembled as it is sent: one tar.gz (slugs/layers.ts).
        return pipeline(Readable.from(concatenated(files)), res);
      }).catch((err: Error) => {
        this.o.logger.warn({ err, blob: m[1] }, 'slug fetch cut short');
        res.destroy();
      });
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
