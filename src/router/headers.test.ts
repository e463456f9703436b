// Unit tests of the router's header rules: Host parsing, request ids, forwarded chain, the headers a
// dyno receives and the ones a client gets back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clientAddress,
  clientResponseHeaders,
  forwardedChain,
  hostOf,
  isValidRequestId,
  parseHost,
  requestIdFor,
  responseHeadBytes,
  upstreamRequestHeaders,
} from './headers.ts';

describe('parseHost', () => {
  it('lower-cases and strips the port and a trailing dot', () => {
    assert.equal(parseHost('Demo.LocalHost:8080'), 'demo.localhost');
    assert.equal(parseHost('demo.localhost'), 'demo.localhost');
    assert.equal(parseHost('www.example.com.'), 'www.example.com');
    assert.equal(parseHost('[::1]:8080'), '[::1]');
  });

  it('refuses a missing or unusable host', () => {
    assert.equal(parseHost(undefined), undefined);
    assert.equal(parseHost(''), undefined);
    assert.equal(parseHost(':80'), undefined);
    assert.equal(parseHost('a b'), undefined);
    assert.equal(parseHost('[::1'), undefined);
  });
});

describe('hostOf', () => {
  it('reads the one Host header and refuses none or several', () => {
    assert.equal(hostOf(['Accept', '*/*', 'Host', 'Demo.localhost:8080']), 'demo.localhost');
    assert.equal(hostOf(['Accept', '*/*']), undefined);
    assert.equal(hostOf(['Host', 'a.localhost', 'host', 'b.localhost']), undefined);
  });
});

describe('request ids and client addresses', () => {
  it('keeps an incoming id of 20-200 allowed characters', () => {
    assert.ok(isValidRequestId('a'.repeat(20)));
    assert.ok(isValidRequestId('AZaz09+/=-'.repeat(20)));
    assert.ok(!isValidRequestId('a'.repeat(19)));
    assert.ok(!isValidRequestId('a'.repeat(201)));
    assert.ok(!isValidRequestId(`${'a'.repeat(20)}_`));
    assert.ok(!isValidRequestId(`${'a'.repeat(20)} x`));
    assert.equal(requestIdFor('abcdefghij0123456789', () => 'new'), 'abcdefghij0123456789');
    assert.equal(requestIdFor('short', () => 'new'), 'new');
    assert.equal(requestIdFor(undefined, () => 'new'), 'new');
  });

  it('logs IPv4-mapped clients as IPv4', () => {
    assert.equal(clientAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(clientAddress('::1'), '::1');
    assert.equal(clientAddress(undefined), '');
  });

  it('appends the client to any incoming X-Forwarded-For', () => {
    assert.deepEqual(forwardedChain(undefined, '127.0.0.1'), ['127.0.0.1']);
    assert.deepEqual(forwardedChain('1.2.3.4, 5.6.7.8', '127.0.0.1'), ['1.2.3.4', '5.6.7.8', '127.0.0.1']);
    assert.deepEqual(forwardedChain(['1.1.1.1', '2.2.2.2'], '3.3.3.3'), ['1.1.1.1', '2.2.2.2', '3.3.3.3']);
  });
});

describe('upstreamRequestHeaders', () => {
  const facts = {
    host: 'demo.localhost',
    requestId: 'rid-0123456789abcdefghij',
    fwd: ['9.9.9.9', '127.0.0.1'],
    proto: 'http' as const,
    port: 8080,
    requestStart: 1764000000000,
    upgrade: false,
  };

  it("adds Heroku's headers and replaces the client's values", () => {
    const out = upstreamRequestHeaders(
      {
        host: 'Demo.localhost:8080',
        'x-forwarded-for': '9.9.9.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-port': '443',
        'x-request-start': '1',
        'x-request-id': 'client',
        'user-agent': 'curl/8',
        cookie: 'a=1; b=2',
      },
      facts,
    );
    assert.deepEqual(out, {
      host: 'demo.localhost',
      'user-agent': 'curl/8',
      cookie: 'a=1; b=2',
      'x-forwarded-for': '9.9.9.9, 127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '8080',
      'x-request-start': '1764000000000',
      'x-request-id': 'rid-0123456789abcdefghij',
      via: '1.1 vegur',
    });
  });

  it('strips hop-by-hop headers, those named in Connection, and Expect; keeps body framing', () => {
    const out = upstreamRequestHeaders(
      {
        connection: 'keep-alive, X-Secret',
        'keep-alive': 'timeout=5',
        'x-secret': 'drop me',
        te: 'trailers',
        'proxy-authorization': 'Basic x',
        expect: '100-continue',
        'transfer-encoding': 'chunked',
        upgrade: 'websocket',
        via: '1.0 corp-proxy',
      },
      facts,
    );
    for (const gone of ['connection', 'keep-alive', 'x-secret', 'te', 'proxy-authorization', 'expect', 'upgrade']) assert.equal(out[gone], undefined, gone);
    assert.equal(out['transfer-encoding'], 'chunked');
    assert.equal(out.via, '1.0 corp-proxy, 1.1 vegur');
  });

  it('passes Upgrade on for an upgrade request', () => {
    const out = upstreamRequestHeaders({ connection: 'Upgrade', upgrade: 'websocket' }, { ...facts, upgrade: true });
    assert.equal(out.connection, 'Upgrade');
    assert.equal(out.upgrade, 'websocket');
  });
});

describe('clientResponseHeaders', () => {
  it('keeps names and repeats, drops hop-by-hop, appends to Via', () => {
    const out = clientResponseHeaders([
      'Content-Type', 'text/plain',
      'Set-Cookie', 'a=1',
      'Set-Cookie', 'b=2',
      'Connection', 'keep-alive, X-Internal',
      'X-Internal', 'no',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'Via', '1.1 app-cache',
    ]);
    assert.deepEqual(out, ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Via', '1.1 app-cache, 1.1 vegur']);
  });

  it('keeps Upgrade and Connection on a 101', () => {
    const out = clientResponseHeaders(['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'x'], true);
    assert.deepEqual(out, ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'x', 'Via', '1.1 vegur']);
  });

  it('counts the bytes of a response head', () => {
    assert.equal(responseHeadBytes(200, 'OK', ['A', 'b']), 'HTTP/1.1 200 OK\r\nA: b\r\n\r\n'.length);
  });
});
