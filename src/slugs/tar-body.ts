// The entries of a tar stream without its end-of-archive marker, so that tar streams can be joined
// into one archive: a reader stops at the first end marker (two zero blocks, then padding to the
// record size), so every part but the last must end without one. The marker's length depends on the
// blocking factor and a file's last data block may itself be zeros, so the end is found by walking
// the headers (ustar/GNU: each header's size field says how many data blocks follow), not by
// trimming zeros from the tail.
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

/**
 * Passes a tar stream's header and data blocks through and drops everything from the first all-zero
 * header block on. Fails when the stream ends before an end marker (a truncated archive), when a
 * header's checksum is wrong (not a tar stream, or misaligned), or on GNU sparse entries, whose data
 * length the size field does not give (tar writes none unless asked with --sparse).
 * Holds at most one partial header (512 bytes) between chunks.
 */
export class TarBody extends Transform {
  /** Bytes passed through so far. */
  bytes = 0;
  private dataLeft = 0;
  private header: Buffer[] = [];
  private headerLength = 0;
  private ended = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.dataLeft > 0) {
        const n = Math.min(this.dataLeft, chunk.length - at);
        this.pass(chunk.subarray(at, at + n));
        this.dataLeft -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerLength, chunk.length - at);
      // Copied: a partial header outlives the chunk it came from.
      this.header.push(Buffer.from(chunk.subarray(at, at + n)));
      this.headerLength += n;
      at += n;
      if (this.headerLength < BLOCK) break;
      const header = Buffer.concat(this.header, BLOCK);
      this.header = [];
      this.headerLength = 0;
      if (isZeroBlock(header)) {
        this.ended = true;
        break;
      }
      try {
        this.dataLeft = dataBlocks(header, this.bytes) * BLOCK;
      } catch (err) {
        done(err as Error);
        return;
      }
      this.pass(header);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    done(this.ended ? null : new Error(`the tar stream ended after ${this.bytes} bytes without its end-of-archive marker`));
  }

  private pass(bytes: Buffer): void {
    this.bytes += bytes.length;
    this.push(bytes);
  }
}

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** How many 512-byte data blocks follow this header (which starts at `offset` in the stream). */
export function dataBlocks(header: Buffer, offset = 0): number {
  const sum = parseNumber(header.subarray(148, 156));
  let actual = 0;
  for (let i = 0; i < BLOCK; i++) actual += i >= 148 && i < 156 ? 0x20 : header[i]!;
  if (sum !== actual) throw new Error(`no tar header at byte ${offset} of the stream (checksum ${sum}, expected ${actual})`);
  const type = String.fromCharCode(header[156]!);
  if (type === 'S') throw new Error(`GNU sparse entries are not supported (at byte ${offset} of the tar stream)`);
  // Links, devices, directories and FIFOs carry no data, whatever their size field says.
  if ('123456'.includes(type)) return 0;
  return Math.ceil(parseNumber(header.subarray(124, 136)) / BLOCK);
}

/** A numeric header field: octal digits (NUL or space terminated), or GNU's base-256 for large values. */
function parseNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('latin1').replace(/^[\0 ]+/, '').replace(/[\0 ].*$/s, '');
  return text ? parseInt(text, 8) : 0;
}
