// Output streams of builds and release phases: written once as they happen, kept in a file per stream
// (`<dir>/<id>.log`) so `releases:output` and a build's output_stream_url can replay them later, and
// followed live by any number of readers. Bound: a stream keeps its first MAX_BYTES; what follows is
// dropped and a note says so (Heroku caps build and release output too). Readers are plain callbacks:
// a slow HTTP reader buffers in its own socket, never in the writer.
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentLogger, type Logger } from '../logger/index.ts';

export const MAX_BYTES = 10 * 1024 * 1024;

interface Live {
  bytes: number;
  truncated: boolean;
  /** What was written so far (at most MAX_BYTES), replayed to readers that join late. */
  chunks: string[];
  /** Appends are chained so the file keeps the order of the writes. */
  writing: Promise<void>;
  readers: Set<(chunk: string | null) => void>;
}

export class OutputStore {
  private readonly live = new Map<string, Live>();

  private readonly logger: Logger;

  constructor(private readonly dir: string, logger?: Logger) {
    this.logger = componentLogger(logger, 'releases');
  }

  private file(id: string): string {
    return join(this.dir, `${id}.log`);
  }

  /** Starts a stream (empty). */
  async open(id: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(id), '');
    this.live.set(id, { bytes: 0, truncated: false, chunks: [], writing: Promise.resolve(), readers: new Set() });
  }

  write(id: string, text: string): void {
    const s = this.live.get(id);
    if (!s || s.truncated || !text) return;
    let chunk = text;
    if (s.bytes + Buffer.byteLength(chunk) > MAX_BYTES) {
      chunk = `${Buffer.from(chunk).subarray(0, Math.max(0, MAX_BYTES - s.bytes)).toString('utf8')}\n !     Output truncated at ${MAX_BYTES / 1024 / 1024} MB.\n`;
      s.truncated = true;
    }
    s.bytes += Buffer.byteLength(chunk);
    s.chunks.push(chunk);
    s.writing = s.writing.then(() => appendFile(this.file(id), chunk)).catch((err) => this.logger.error({ err, output: id }, 'writing output failed'));
    for (const r of s.readers) r(chunk);
  }

  /** Ends a stream: readers get the end, later readers get the file. */
  async close(id: string): Promise<void> {
    const s = this.live.get(id);
    if (!s) return;
    await s.writing;
    this.live.delete(id);
    for (const r of s.readers) r(null);
  }

  has(id: string): boolean {
    return this.live.has(id) || existsSync(this.file(id));
  }

  isLive(id: string): boolean {
    return this.live.has(id);
  }

  async read(id: string): Promise<string | undefined> {
    if (!this.has(id)) return undefined;
    const s = this.live.get(id);
    if (s) await s.writing;
    return readFile(this.file(id), 'utf8').catch(() => undefined);
  }

  /**
   * Everything written so far, then the rest as it comes; resolves when the stream has ended (or at
   * once for a finished one). A live stream replays from memory, so nothing is missed or doubled.
   */
  async follow(id: string, onChunk: (text: string) => void): Promise<void> {
    const s = this.live.get(id);
    if (!s) {
      const text = await this.read(id);
      if (text) onChunk(text);
      return;
    }
    if (s.chunks.length) onChunk(s.chunks.join(''));
    return new Promise<void>((resolve) => {
      const reader = (chunk: string | null) => {
        if (chunk !== null) return onChunk(chunk);
        s.readers.delete(reader);
        resolve();
      };
      s.readers.add(reader);
    });
  }

  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }
}
