import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_BYTES, OutputStore } from './output.ts';

test('a reader joining mid-stream gets everything once, in order, then the end', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-output-'));
  try {
    const store = new OutputStore(dir);
    await store.open('r1');
    store.write('r1', 'one\n');
    let seen = '';
    const following = store.follow('r1', (t) => (seen += t));
    store.write('r1', 'two\n');
    store.write('r1', 'three\n');
    await store.close('r1');
    await following;
    assert.equal(seen, 'one\ntwo\nthree\n');
    assert.equal(await store.read('r1'), 'one\ntwo\nthree\n', 'a finished stream is replayed from its file');
    let late = '';
    await store.follow('r1', (t) => (late += t));
    assert.equal(late, seen);
    assert.equal(store.has('nope'), false);
    assert.equal(await store.read('nope'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('output past the bound is dropped with a note', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-output-'));
  try {
    const store = new OutputStore(dir);
    await store.open('big');
    const chunk = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 12; i++) store.write('big', chunk);
    await store.close('big');
    const text = (await store.read('big'))!;
    assert.ok(Buffer.byteLength(text) < MAX_BYTES + 200);
    assert.match(text, /Output truncated at 10 MB/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
