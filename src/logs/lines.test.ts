// Unit tests of the line assembler: lines cut across chunks come out whole, long lines in 10000-byte
// pieces as they grow, a last line without a newline at the end.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineAssembler } from './lines.ts';

function assemble(chunks: string[], maxBytes = 10): string[] {
  const lines: string[] = [];
  const a = new LineAssembler(maxBytes, (text) => lines.push(...text.split('\n')));
  for (const c of chunks) a.write(c);
  a.end();
  return lines;
}

describe('LineAssembler', () => {
  it('joins a line cut across chunks and keeps lines whole', () => {
    assert.deepEqual(assemble(['he', 'llo\nwor', 'ld\n', 'x\ny\n']), ['hello', 'world', 'x', 'y']);
  });

  it('hands a last line without a newline on at the end', () => {
    assert.deepEqual(assemble(['a\nb']), ['a', 'b']);
  });

  it('cuts a growing line into full pieces and keeps the remainder pending', () => {
    const out: string[] = [];
    const a = new LineAssembler(10, (t) => out.push(t));
    a.write('0123456');
    assert.deepEqual(out, []);
    a.write('789abcdefghijklmnopqrstu');
    assert.deepEqual(out, ['0123456789', 'abcdefghij', 'klmnopqrst']);
    a.write('v\n');
    assert.deepEqual(out, ['0123456789', 'abcdefghij', 'klmnopqrst', 'uv']);
  });

  it('counts bytes, not characters, and never splits a character', () => {
    const out: string[] = [];
    const a = new LineAssembler(10, (t) => out.push(t));
    a.write('ééééééé'); // 14 bytes
    assert.deepEqual(out, ['ééééé']);
    a.end();
    assert.deepEqual(out, ['ééééé', 'éé']);
  });

  it('25000 bytes of one line make 10000, 10000 and 5000-byte lines whatever the chunking', () => {
    const line = 'a'.repeat(25_000);
    for (const size of [1000, 4096, 16_384, 25_000]) {
      const chunks: string[] = [];
      for (let i = 0; i < line.length; i += size) chunks.push(line.slice(i, i + size));
      chunks.push('\n');
      assert.deepEqual(assemble(chunks, 10_000).map((l) => l.length), [10_000, 10_000, 5000], `chunks of ${size}`);
    }
  });
});
