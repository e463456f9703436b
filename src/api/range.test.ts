import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paginate, parseRange } from './range.ts';

const versions = Array.from({ length: 25 }, (_, i) => ({ version: i + 1 }));
const key = (r: { version: number }) => r.version;

test('the CLI\'s Range headers parse', () => {
  assert.deepEqual(parseRange('version ..; max=15, order=desc', ['version', 'id'], 'id'), { field: 'version', startExclusive: false, max: 15, order: 'desc' });
  assert.equal(parseRange('number ..; order=desc,max=1', ['number'], 'id').max, 1);
  assert.equal(parseRange('id ..; max=1000;', ['id'], 'id').max, 1000);
  assert.equal(parseRange('', ['id'], 'id').max, 200);
  assert.throws(() => parseRange('name ..', ['id'], 'id'), /not sortable/);
  assert.throws(() => parseRange('garbage', ['id'], 'id'), /Invalid Range/);
});

test('newest releases first, one page, with Next-Range', () => {
  const p = paginate(versions, parseRange('version ..; max=10, order=desc', ['version'], 'id'), key);
  assert.equal(p.status, 206);
  assert.deepEqual(p.items.map(key), [25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
  assert.equal(p.nextRange, 'version ]16..; max=10, order=desc');
  const next = paginate(versions, parseRange(p.nextRange, ['version'], 'id'), key);
  assert.deepEqual(next.items.map(key), [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
  const last = paginate(versions, parseRange('version ]5..; max=10, order=desc', ['version'], 'id'), key);
  assert.equal(last.status, 200);
  assert.equal(last.nextRange, undefined);
  assert.deepEqual(last.items.map(key), [4, 3, 2, 1]);
});

test('ascending with an inclusive start', () => {
  const p = paginate(versions, parseRange('version 20..', ['version'], 'id'), key);
  assert.deepEqual(p.items.map(key), [20, 21, 22, 23, 24, 25]);
  assert.equal(p.status, 200);
});
