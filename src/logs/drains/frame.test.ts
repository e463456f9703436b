// Unit tests of drain framing and drain URLs: the exact bytes Heroku's logplex sends, and which URLs
// are accepted with what meaning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogLine } from '../types.ts';
import { drainOverflowMessage, httpFrame, priority, syslogFrame } from './frame.ts';
import { parseDrainUrl, redactDrainUrl } from './url.ts';

const line = (source: LogLine['source'], dyno: string, message: string): LogLine =>
  ({ time: new Date(Date.UTC(2012, 10, 30, 6, 45, 29, 123)), micros: 456, source, dyno, message });

describe('drain frames', () => {
  it('syslog: octet-counted RFC 5424 with the drain token as HOSTNAME and a trailing newline', () => {
    const frame = syslogFrame(line('app', 'web.3', 'State changed from starting to up'), 'd.01234567-89ab-cdef-0123-456789abcdef');
    const body = '<190>1 2012-11-30T06:45:29.123456+00:00 d.01234567-89ab-cdef-0123-456789abcdef app web.3 - - State changed from starting to up\n';
    assert.equal(frame, `${Buffer.byteLength(body)} ${body}`);
  });

  it('https: the literal host, no structured data, as Heroku sends it', () => {
    assert.equal(httpFrame(line('heroku', 'web.3', 'State changed from starting to up')),
      '93 <45>1 2012-11-30T06:45:29.123456+00:00 host heroku web.3 - State changed from starting to up\n');
  });

  it('counts bytes, not characters', () => {
    const f = httpFrame(line('app', 'web.1', 'héllo ✓'));
    const [count, ...rest] = f.split(' ');
    assert.equal(Number(count), Buffer.byteLength(rest.join(' ')));
  });

  it('counts the same bytes for lines logplex marked ASCII, with or without a newline of their own', () => {
    for (const message of ['plain text', 'ends with a newline\n', '']) {
      for (const frame of [syslogFrame({ ...line('app', 'run.1', message), ascii: true }, 'd.x'), httpFrame({ ...line('app', 'run.1', message), ascii: true })]) {
        const [count, ...rest] = frame.split(' ');
        assert.equal(Number(count), Buffer.byteLength(rest.join(' ')));
        assert.ok(frame.endsWith('\n') && !frame.endsWith('\n\n'));
      }
    }
  });

  it('PRI by source: app output, router, api and dyno manager, logplex notices', () => {
    assert.equal(priority({ source: 'app', dyno: 'worker.2' }), 190);
    assert.equal(priority({ source: 'heroku', dyno: 'router' }), 158);
    assert.equal(priority({ source: 'app', dyno: 'api' }), 45);
    assert.equal(priority({ source: 'heroku', dyno: 'web.1' }), 45);
    assert.equal(priority({ source: 'heroku', dyno: 'logplex' }), 172);
  });

  it("L10 in logplex's words", () => {
    assert.equal(drainOverflowMessage(500, new Date(Date.UTC(2013, 3, 17, 19, 4, 46, 999))),
      'Error L10 (output buffer overflow): 500 messages dropped since 2013-04-17T19:04:46+00:00.');
  });
});

describe('drain URLs', () => {
  it('syslog, syslog+tls and their spellings; #insecure', () => {
    assert.deepEqual(parseDrainUrl('syslog+tls://logs.example.com:6514'), { kind: 'syslog', tls: true, insecure: false, host: 'logs.example.com', port: 6514 });
    assert.deepEqual(parseDrainUrl('syslog://10.0.0.1:514'), { kind: 'syslog', tls: false, insecure: false, host: '10.0.0.1', port: 514 });
    assert.equal(parseDrainUrl('tcpsyslog://h:1').kind, 'syslog');
    assert.equal(parseDrainUrl('syslog+tcp://h:1').kind, 'syslog');
    assert.equal((parseDrainUrl('syslog+tls://h:1#insecure') as { insecure: boolean }).insecure, true);
  });

  it('https: userinfo becomes Basic auth and leaves the URL', () => {
    const t = parseDrainUrl('https://user:p%40ss@logs.example.com/drain?x=1');
    assert.equal(t.kind, 'http');
    if (t.kind !== 'http') return;
    assert.equal(t.url.href, 'https://logs.example.com/drain?x=1');
    assert.equal(t.authorization, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('refuses what it cannot honour, saying what to use', () => {
    assert.throws(() => parseDrainUrl('syslog://logs.example.com'), /no port/);
    assert.throws(() => parseDrainUrl('syslog://h:1/path'), /take no path/);
    assert.throws(() => parseDrainUrl('udpsyslog://h:1'), /UDP syslog drains are not supported/);
    assert.throws(() => parseDrainUrl('ftp://h'), /not supported\. Use syslog\+tls:\/\//);
    assert.throws(() => parseDrainUrl(''), /needs a url/);
    assert.throws(() => parseDrainUrl('https://h/#frag'), /fragment #frag/);
  });

  it('redacts passwords for messages', () => {
    assert.equal(redactDrainUrl('https://user:secret@h/x'), 'https://user:REDACTED@h/x');
  });
});
