// HAProxy's log line → Heroku's router line facts: field splitting with HAProxy's escapes, and the
// termination states that become H-codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRouterLine } from '../logline.ts';
import { LOG_FORMAT_FIELDS } from './config.ts';
import { hcodeFor, parseLogLine, routerFields, routerLine, splitFields } from './logline.ts';

// Fields in LOG_FORMAT_FIELDS order: backend, slot, termination, status, bytes, Ta, Th, Tw, Tc, ssl, fwd, then Heroku's middle.
const line = (over: Partial<Record<number, string>> = {}) => {
  const f = ['app-1234', 'web.2', '----', '200', '145', '15', '0', '0', '1', '0', '203.0.113.9, 127.0.0.1',
    'method=GET', ' path="/a?b=1"', ' host=demo.localhost', ' request_id=abcdefabcdefabcdefabcdef'];
  for (const [i, v] of Object.entries(over)) f[Number(i)] = v!;
  return f.map((x) => `${x}]`).join('');
};

test('fields split on unescaped ] only; backslash escapes are undone', () => {
  const f = splitFields(String.raw`a\]b]c\\]d\"e]` + ']'.repeat(12));
  assert.deepEqual(f?.slice(0, 3), ['a]b', 'c\\', 'd"e']);
  assert.equal(splitFields('too]few]'), undefined);
  // A line with nothing escaped takes the quick path; it must agree with the escaped one.
  assert.deepEqual(splitFields(line()), splitFields(line() + '\n'));
  assert.equal(splitFields(line() + 'trailing'), undefined);
  assert.equal(splitFields(line() + 'x]'), undefined);
});

test('a normal request becomes Heroku\'s info line', () => {
  const fields = routerFields(parseLogLine(line())!)!;
  assert.equal(fields.appId, '1234');
  assert.equal(formatRouterLine(fields),
    'at=info method=GET path="/a?b=1" host=demo.localhost request_id=abcdefabcdefabcdefabcdef fwd="203.0.113.9,127.0.0.1" dyno=web.2 connect=1ms service=14ms status=200 bytes=145 protocol=http');
});

test('termination states map to H-codes; the client sees 503 (or 499) whatever HAProxy logged', () => {
  const cases: [string, string | undefined][] = [
    ['sH--', 'H12'], ['SH--', 'H13'], ['sC--', 'H19'], ['SC--', 'H21'], ['sD--', 'H15'], ['SD--', 'H18'],
    ['cD--', 'H28'], ['CD--', 'H27'], ['CH--', 'H27'], ['KD--', 'H24'], ['PH--', 'H17'], ['sQ--', 'H11'], ['----', undefined], ['LR--', undefined],
  ];
  for (const [ts, code] of cases) assert.equal(hcodeFor(ts), code, ts);
  const h12 = formatRouterLine(routerFields(parseLogLine(line({ 5: '30001', 3: '504', 4: '0', 2: 'sH--' }))!)!);
  assert.match(h12, /^at=error code=H12 desc="Request timeout" method=GET .* dyno=web\.2 connect=1ms service=30000ms status=503 bytes=0 protocol=http$/);
  const h18 = formatRouterLine(routerFields(parseLogLine(line({ 2: 'SD--' }))!)!);
  assert.match(h18, /^sock=backend at=error code=H18 /);
  const h21 = formatRouterLine(routerFields(parseLogLine(line({ 1: '<NOSRV>', 8: '-1', 3: '503', 4: '429', 2: 'SC--' }))!)!);
  assert.match(h21, /code=H21 .* dyno= connect= service= status=503 bytes= protocol=http$/, 'the error page is not the dyno\'s bytes');
  const h12page = formatRouterLine(routerFields(parseLogLine(line({ 5: '30001', 3: '504', 4: '429', 2: 'sH--' }))!)!);
  assert.match(h12page, / dyno=web\.2 .* status=503 bytes=0 protocol=http$/);
});

test('TLS requests log protocol=https; the Node router\'s own requests are not logged twice', () => {
  assert.equal(routerFields(parseLogLine(line({ 9: '1' }))!)!.protocol, 'https');
  assert.equal(routerFields(parseLogLine(line({ 0: 'fallback', 1: 'node' }))!), undefined);
  assert.equal(routerFields(parseLogLine(line({ 1: 'node' }))!), undefined);
});

test('the Node router behind HAProxy unreachable: H99 for the app the Host names, no dyno', () => {
  const lost = parseLogLine(line({ 0: 'fallback', 1: 'node', 8: '-1', 3: '503', 4: '0', 2: 'SC--' }))!;
  const fields = routerFields(lost, (host) => (host === 'demo.localhost' ? '77' : undefined))!;
  assert.equal(fields.appId, '77');
  assert.match(formatRouterLine(fields), /^at=error code=H99 desc="Platform error" method=GET .* dyno= connect= service= status=503 bytes= protocol=http$/);
  assert.equal(routerFields(lost, () => undefined), undefined, 'a Host no app has is nobody\'s line');
  assert.equal(routerFields(parseLogLine(line({ 1: 'node', 2: 'SC--' }))!)!.code, 'H99', 'the backup of an app backend');
});

test('the line copied through from HAProxy is byte for byte the one formatted from its fields, whatever the fields hold', () => {
  const dynoOf = (backend: string, slot: string) => (backend === 'app-1234' && slot === 's7' ? 'web.3' : undefined);
  const formatted = (l: string) => {
    const p = parseLogLine(l)!;
    const { appId, ...rest } = routerFields(p, () => '1234')!;
    if (rest.dyno) rest.dyno = dynoOf(p.backend, rest.dyno) ?? rest.dyno;
    return { appId, line: formatRouterLine(rest) };
  };
  const variants: Partial<Record<number, string>>[] = [
    {}, { 1: 's7' }, { 9: '1' }, { 10: '127.0.0.1' }, { 10: '' }, { 10: ' a ,, b ,c, ' }, { 10: '1.2.3.4,5.6.7.8' },
    { 5: '-1' }, { 8: '-1' }, { 3: '-1', 4: '-1' }, { 6: '3', 7: '2', 8: '4', 5: '5' }, { 2: 'LR--' }, { 2: '--NI' },
    { 12: ' path="/a b"' }, { 12: ' path="/a\tb"' }, { 12: String.raw` path="/q\"x\"\]y"` }, { 13: ' host=a\tb.demo.localhost' },
    { 13: String.raw` host=x\"y` }, { 11: 'method=PURGE' }, { 10: String.raw`a\"b, 127.0.0.1` }, { 2: 'sH--', 5: '30001', 3: '504' },
    { 2: 'CD--' }, { 1: 'node', 2: 'SC--' }, { 14: ' request_id=' },
  ];
  for (const v of variants) {
    const l = line(v);
    const r = routerLine(l, dynoOf, () => '1234')!;
    const want = formatted(l);
    assert.equal(r.line, want.line, JSON.stringify(v));
    assert.equal(r.appId, want.appId);
  }
  // The metrics' facts: Heroku's status for an H-code, HAProxy's active time, the dyno's bytes.
  assert.deepEqual(routerLine(line(), dynoOf), { appId: '1234', line: formatted(line()).line, status: 200, ms: 15, bytes: 145 });
  assert.deepEqual({ ...routerLine(line({ 2: 'sH--', 5: '30001', 3: '504', 4: '0' }), dynoOf), line: '' }, { appId: '1234', line: '', status: 503, ms: 30001, bytes: 0, code: 'H12' });
  assert.equal(routerLine(line({ 0: 'fallback', 1: 'node' }), dynoOf), undefined);
  assert.equal(routerLine('junk]', dynoOf), undefined);
  assert.equal(routerLine(line({ 11: 'GET' }), dynoOf), undefined, 'a line without the field names HAProxy writes is not ours');
  assert.equal(LOG_FORMAT_FIELDS.length, 15);
});
