// The engine's events the swarm runtime acts on: a container of this platform changed (its app's tasks
// are read again), a service of this platform or a node changed (every app's). A stream that ends is
// followed again after a second; close() ends it for good.
import type Docker from 'dockerode';
import type { Logger } from '../logger/index.ts';
import { LABELS } from './service-spec.ts';

export interface EventHandlers {
  app(appId: string): void;
  /** The kernel's OOM killer ended a process in one of this platform's containers. */
  oom(appId: string, container: string): void;
  all(): void;
  nodes(): void;
}

export class EngineEvents {
  private stream?: NodeJS.ReadableStream & { destroy?: () => void };
  private closed = false;

  constructor(private readonly docker: Docker, private readonly platform: string, private readonly logger: Logger, private readonly on: EventHandlers) {}

  async follow(): Promise<void> {
    const stream = await this.docker.getEvents({ filters: { type: ['container', 'service', 'node'] } }) as NodeJS.ReadableStream & { destroy?: () => void };
    if (this.closed) { stream.destroy?.(); return; }
    this.stream = stream;
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try { this.event(JSON.parse(line)); } catch { /* a partial or foreign line */ }
      }
    });
    stream.on('error', () => undefined);
    stream.on('end', () => {
      if (this.closed) return;
      this.logger.warn('the engine\'s event stream ended; following it again');
      setTimeout(() => void this.follow().catch((err: Error) => this.logger.error({ err }, 'following engine events failed')), 1000).unref();
    });
  }

  private event(e: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } }): void {
    const attrs = e.Actor?.Attributes ?? {};
    if (e.Type === 'container') {
      const appId = attrs[LABELS.platform] === this.platform ? attrs[LABELS.appId] : undefined;
      if (appId && e.Action === 'oom' && e.Actor?.ID) this.on.oom(appId, e.Actor.ID);
      if (appId) this.on.app(appId);
      return;
    }
    if (e.Type === 'node') this.on.nodes();
    if (e.Type === 'node' || (e.Type === 'service' && (attrs.name ?? '').startsWith(this.platform))) this.on.all();
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy?.();
  }
}
