// Unit tests of the router log line against Heroku's documented samples.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatRouterLine } from './logline.ts';

const base = {
  method: 'GET',
  path: '/',
  host: 'myapp.herokuapp.com',
  requestId: '8601b555-6a83-4c12-8269-97c8e32cdb22',
  fwd: ['204.204.204.204'],
  protocol: 'https' as const,
};

describe('formatRouterLine', () => {
  it('writes a successful request exactly like Heroku', () => {
    assert.equal(
      formatRouterLine({ ...base, dyno: 'web.1', connectMs: 1, serviceMs: 18, status: 200, bytes: 13 }),
      'at=info method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https',
    );
  });

  it('writes H12 with the dyno and timings', () => {
    assert.equal(
      formatRouterLine({ ...base, code: 'H12', dyno: 'web.1', connectMs: 0, serviceMs: 30000, bytes: 0 }),
      'at=error code=H12 desc="Request timeout" method=GET path="/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=https',
    );
  });

  it('keeps fields that do not apply, empty (H10, no dyno chosen)', () => {
    assert.equal(
      formatRouterLine({ ...base, code: 'H10', requestId: 'f189ac84-cfd8-4bec-9226-741250314389', fwd: ['157.51.25.187'] }),
      'at=error code=H10 desc="App crashed" method=GET path="/" host=myapp.herokuapp.com request_id=f189ac84-cfd8-4bec-9226-741250314389 fwd="157.51.25.187" dyno= connect= service= status=503 bytes= protocol=https',
    );
  });

  it('puts sock= first and the pseudo-status 499 for H27', () => {
    assert.equal(
      formatRouterLine({ ...base, method: 'POST', path: '/submit/', code: 'H27', dyno: 'web.1', connectMs: 1, serviceMs: 0, bytes: 0, fwd: ['17.17.17.17'] }),
      'sock=client at=warning code=H27 desc="Client Request Interrupted" method=POST path="/submit/" host=myapp.herokuapp.com request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="17.17.17.17" dyno=web.1 connect=1ms service=0ms status=499 bytes=0 protocol=https',
    );
  });

  it('joins a forwarded chain without spaces, an empty one as ""', () => {
    assert.match(formatRouterLine({ ...base, fwd: ['1.2.3.4', '5.6.7.8'] }), / fwd="1\.2\.3\.4,5\.6\.7\.8" /);
    assert.match(formatRouterLine({ ...base, fwd: [] }), / fwd="" /);
  });

  it('keeps the query string and percent-escapes, and cannot be broken by quotes', () => {
    assert.match(formatRouterLine({ ...base, path: '/a%20b?x=1&y="2"' }), / path="\/a%20b\?x=1&y=%222%22" /);
  });

  it('leaves status empty for H24 and rounds timings', () => {
    const line = formatRouterLine({ ...base, code: 'H24', dyno: 'web.2', connectMs: 0.4, serviceMs: 12.6 });
    assert.match(line, / dyno=web\.2 connect=0ms service=13ms status= bytes= protocol=https$/);
  });
});
