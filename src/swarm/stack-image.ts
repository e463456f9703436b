// Which name services give the stack image. On one node: the engine's own (`slipway-12:<version>`, no
// registry). With SLIPWAY_REGISTRY: pushed there at start, and named there. Without it, once the swarm
// has a second node: the platform starts its own registry (registry.ts), pushes the image, and names it
// there; the cluster then updates every service to the new name (their tasks are replaced once).
import type Docker from 'dockerode';
import { ensureStackImage, pushStackImage } from './image.ts';
import { PlatformRegistry } from './registry.ts';
import { createServer, type AddressInfo } from 'node:net';

export interface StackImageOptions {
  docker: Docker;
  stackRoot: string;
  /** The engine's own name for the image. */
  image: string;
  /** SLIPWAY_REGISTRY (`host:port`), when the operator runs one. */
  registry?: string;
  /** The platform's own registry: its dir under the data dir and the port nodes pull from. */
  registryDir: string;
  registryPort: number;
  progress: (line: string) => void;
}

export class StackImage {
  /** What services name now. */
  ref: string;
  private own?: PlatformRegistry;
  private starting?: Promise<boolean>;
  private host = '';

  constructor(private readonly o: StackImageOptions) {
    this.ref = o.image;
  }

  /** Imports the image (once) and pushes it to SLIPWAY_REGISTRY; `host` is the address nodes reach this machine at. */
  async start(host: string): Promise<void> {
    this.host = host;
    await ensureStackImage(this.o.docker, this.o.stackRoot, this.o.image, this.o.progress);
    if (this.o.registry) this.ref = await pushStackImage(this.o.docker, this.o.image, { push: this.o.registry, pull: this.o.registry }, this.o.progress);
  }

  /** The swarm has `count` nodes; true once the name services use changed (the platform's registry took over). */
  nodes(count: number): Promise<boolean> {
    if (this.o.registry || count < 2 || !this.host) return Promise.resolve(false);
    if (this.starting) return this.starting.then(() => false);
    this.starting = (async () => {
      const own = new PlatformRegistry({
        dir: this.o.registryDir, host: /^\d+\.\d+\.\d+\.\d+$/.test(this.host) ? this.host : '0.0.0.0', port: this.o.registryPort,
        pushPort: await loopbackPort(), say: this.o.progress,
      });
      this.own = own;
      await own.start();
      this.ref = await pushStackImage(this.o.docker, this.o.image, { push: own.pushTo, pull: `${this.host}:${this.o.registryPort}` }, this.o.progress);
      return true;
    })().catch((err: Error) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  async close(): Promise<void> {
    await this.own?.stop();
  }
}

/** A port free on loopback now (the writable registry's). */
function loopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)); });
  });
}
