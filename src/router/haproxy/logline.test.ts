// HAProxy's log line → Heroku's router line facts: field splitting with HAProxy's escapes, and the
// termination states that become H-codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRouterLine } from '../logline.ts';
import { hcodeFor, parseLogLine, routerFields, splitFields } from './logline.ts';

const line = (over: Partial<Record<number, string>> = {}) => {
  const f = ['app-1234', 'web.2', 'GET', 'demo.localhost', 'abcdefabcdefabcdefabcdef', '203.0.113.9, 127.0.0.1', '0', '0', '1', '12', '15', '200', '145', '----', 'HTTP/1.1', '0', '-', '/a?b=1'];
  for (const [i, v] of Object.entries(over)) f[Number(i)] = v!;
  return f.map((x) => `${x}]`).join('');
};

test('fields split on unescaped ] only; backslash escapes are undone', () => {
  const f = splitFields(String.raw`a\]b]c\\]d\"e]` + ']'.repeat(15));
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
  const h12 = formatRouterLine(routerFields(parseLogLine(line({ 9: '-1', 10: '30001', 11: '504', 12: '0', 13: 'sH--' }))!)!);
  assert.match(h12, /^at=error code=H12 desc="Request timeout" method=GET .* dyno=web\.2 connect=1ms service=30000ms status=503 bytes=0 protocol=http$/);
  const h18 = formatRouterLine(routerFields(parseLogLine(line({ 13: 'SD--' }))!)!);
  assert.match(h18, /^sock=backend at=error code=H18 /);
  const h21 = formatRouterLine(routerFields(parseLogLine(line({ 1: '<NOSRV>', 8: '-1', 9: '-1', 11: '503', 12: '429', 13: 'SC--' }))!)!);
  assert.match(h21, /code=H21 .* dyno= connect= service= status=503 bytes= protocol=http$/, 'the error page is not the dyno\'s bytes');
  const h12page = formatRouterLine(routerFields(parseLogLine(line({ 9: '-1', 10: '30001', 11: '504', 12: '429', 13: 'sH--' }))!)!);
  assert.match(h12page, / dyno=web\.2 .* status=503 bytes=0 protocol=http$/);
});

test('TLS requests log protocol=https; the Node router\'s own requests are not logged twice', () => {
  assert.equal(routerFields(parseLogLine(line({ 15: '1', 16: 'TLSv1.3' }))!)!.protocol, 'https');
  assert.equal(routerFields(parseLogLine(line({ 0: 'fallback', 1: 'node' }))!), undefined);
  assert.equal(routerFields(parseLogLine(line({ 1: 'node' }))!), undefined);
});

test('the Node router behind HAProxy unreachable: H99 for the app the Host names, no dyno', () => {
  const lost = parseLogLine(line({ 0: 'fallback', 1: 'node', 8: '-1', 9: '-1', 11: '503', 12: '0', 13: 'SC--' }))!;
  const fields = routerFields(lost, (host) => (host === 'demo.localhost' ? '77' : undefined))!;
  assert.equal(fields.appId, '77');
  assert.match(formatRouterLine(fields), /^at=error code=H99 desc="Platform error" method=GET .* dyno= connect= service= status=503 bytes= protocol=http$/);
  assert.equal(routerFields(lost, () => undefined), undefined, 'a Host no app has is nobody\'s line');
  assert.equal(routerFields(parseLogLine(line({ 1: 'node', 13: 'SC--' }))!)!.code, 'H99', 'the backup of an app backend');
});
