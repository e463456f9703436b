import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import { dataBlocks, TarBody } from './tar-body.ts';

/** A tree with what makes tar streams irregular: GNU long names and link targets, hard links, empty files, data ending in zero blocks. */
async function awkwardTree(root: string): Promise<string> {
  const dir = join(root, 'tree');
  const deep = join(dir, 'a'.repeat(60), 'b'.repeat(60));
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, `${'c'.repeat(90)}.txt`), 'long name\n');
  await writeFile(join(dir, 'empty'), '');
  await writeFile(join(dir, 'block'), Buffer.alloc(512, 7));
  await writeFile(join(dir, 'zeros'), Buffer.concat([Buffer.from('x'), Buffer.alloc(5000)]));
  await link(join(dir, 'block'), join(dir, 'hardlink'));
  await symlink(join('a'.repeat(60), 'b'.repeat(60), `${'c'.repeat(90)}.txt`), join(dir, 'symlink'));
  return dir;
}

function tar(dir: string, blocking: number): Buffer {
  return execFileSync('tar', ['-cf', '-', '--format=gnu', '--sort=name', `-b${blocking}`, '-C', dir, '.'], { maxBuffer: 1 << 26 });
}

/** Feeds `data` in chunks of the given sizes (cycled) and collects what comes out. */
function through(data: Buffer, sizes: number[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    chunks.push(data.subarray(at, at + n));
    at += n;
  }
  return buffer(Readable.from(chunks).pipe(new TarBody()));
}

test('the entries of a tar stream end where its end marker starts, whatever the blocking factor and chunking', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tar-body-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = await awkwardTree(root);
  // With one block per record, tar's end marker is exactly two zero blocks: an independent answer.
  const single = tar(dir, 1);
  assert.deepEqual(single.subarray(-1024), Buffer.alloc(1024));
  const expected = single.subarray(0, -1024);
  for (const blocking of [1, 20, 64]) {
    const whole = tar(dir, blocking);
    for (const sizes of [[whole.length], [1, 7, 511], [513, 4096], [65536]]) {
      assert.ok((await through(whole, sizes)).equals(expected), `-b${blocking} in chunks of ${sizes}`);
    }
  }
});

test('entries of two streams joined with one end marker read as one archive', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tar-body-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = await awkwardTree(root);
  await mkdir(join(root, 'other'));
  await writeFile(join(root, 'other', 'last'), 'last\n');
  const first = await through(tar(dir, 20), [65536]);
  const joined = Buffer.concat([first, execFileSync('tar', ['-cf', '-', '-C', join(root, 'other'), './last'])]);
  const names = execFileSync('tar', ['-tf', '-'], { input: joined }).toString().trim().split('\n');
  assert.ok(names.includes('./symlink') && names.includes('./zeros'), names.join(' '));
  assert.equal(names.at(-1), './last', 'tar reads past the first stream');
});

test('a stream cut short, or one that is not tar, is an error', async () => {
  const one = execFileSync('tar', ['-cf', '-', '-C', tmpdir(), '--no-recursion', '.']);
  await assert.rejects(through(one.subarray(0, 512), [512]), /ended after 512 bytes without its end-of-archive marker/);
  await assert.rejects(through(Buffer.alloc(1024, 'x'), [1024]), /no tar header at byte 0/);
});

test("sizes are read in octal and in GNU's base-256; links and directories carry no data", () => {
  const header = (size: Buffer | string, type: string) => {
    const h = Buffer.alloc(512);
    h.write('name', 0);
    if (typeof size === 'string') h.write(size, 124); else size.copy(h, 124);
    h[156] = type.charCodeAt(0);
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return h;
  };
  assert.equal(dataBlocks(header('00000001001\0', '0')), 2, '513 bytes: two blocks');
  assert.equal(dataBlocks(header('00000000000\0', '0')), 0);
  assert.equal(dataBlocks(header('  1000 \0', '0')), 1, 'space-padded octal');
  const big = Buffer.alloc(12);
  big[0] = 0x80;
  big.writeUIntBE(10 * 1024 ** 3, 6, 6);
  assert.equal(dataBlocks(header(big, '0')), (10 * 1024 ** 3) / 512, 'a 10 GB file');
  assert.equal(dataBlocks(header('00000001000\0', '1')), 0, 'a hard link');
  assert.equal(dataBlocks(header('00000001000\0', '5')), 0, 'a directory');
  assert.equal(dataBlocks(header('00000001000\0', 'L')), 1, 'a GNU long name carries its name as data');
  assert.throws(() => dataBlocks(header('00000001000\0', 'S')), /sparse/);
});
