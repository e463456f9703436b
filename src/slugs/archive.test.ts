import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseListing, unpackLimits } from './archive.ts';

test('tar -tv lines are read: kinds, owners, sizes, quoted names and link targets', () => {
  assert.deepEqual(parseListing('-rwxr-xr-x 1000/1000          3 2026-12-07 09:33:09 "./a/f"'),
    { type: '-', mode: '-rwxr-xr-x', uid: 1000, gid: 1000, size: 3, name: './a/f' });
  assert.deepEqual(parseListing('lrwxrwxrwx 0/0               0 2026-12-07 09:33:09 "a/evil" -> "/etc"'),
    { type: 'l', mode: 'lrwxrwxrwx', uid: 0, gid: 0, size: 0, name: 'a/evil', link: '/etc' });
  assert.equal(parseListing('hrw-r--r-- 1/1 0 2026-12-07 09:33:09 "a/hard" link to "a/f"')?.link, 'a/f');
  assert.equal(parseListing('crw-r--r-- 0/0             1,3 2026-12-07 09:33:09 "a/dev"')?.type, 'c');
  // A name that looks like a link, quotes and escapes in it: the quoting keeps them apart.
  const tricky = parseListing('-rw-r--r-- 1/1 0 2026-12-07 09:33:09 "a/we ird -> \\"x\\"\\n\\303\\251"');
  assert.equal(tricky?.name, 'a/we ird -> "x"\né');
  assert.equal(tricky?.link, undefined);
  assert.equal(parseListing('tar: Removing leading `/\' from member names'), undefined);
  assert.equal(parseListing('V--------- 0/0 0 2026-12-07 09:33:09 label--Volume Header--'), undefined);
});

test('the unpack limits come from the environment, with defaults for what is unset or not a positive number', () => {
  assert.deepEqual(unpackLimits({}), { maxBytes: 4 * 1024 ** 3, maxEntries: 500_000 });
  assert.deepEqual(unpackLimits({ SLIPWAY_UNPACK_MAX_BYTES: '1000', SLIPWAY_UNPACK_MAX_ENTRIES: '5' }), { maxBytes: 1000, maxEntries: 5 });
  assert.deepEqual(unpackLimits({ SLIPWAY_UNPACK_MAX_BYTES: '-1', SLIPWAY_UNPACK_MAX_ENTRIES: 'x' }), { maxBytes: 4 * 1024 ** 3, maxEntries: 500_000 });
});
