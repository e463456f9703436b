// Tests of log sessions over real HTTP on 127.0.0.1: history, one-shot use, expiry, 404, filters,
// tails that see new lines, Server-Sent-Events framing and heartbeat, and clean-up on disconnect.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Logplex, type LogplexOptions } from './logplex.ts';

interface Harness {
  logplex: Logplex;
  url: (path: string) => string;
  close: () => Promise<void>;
}

async function startHarness(options: LogplexOptions = {}): Promise<Harness> {
  const logplex = new Logplex(options);
  const server = http.createServer((req, res) => {
    const match = /^\/sessions\/([^/?]+)$/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(400).end();
      return;
    }
    void logplex.handleSessionRequest(req, res, match[1]!);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    logplex,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      logplex.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** GET and read the whole body (for responses that end). */
async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(url, { headers, agent: false }, resolve).on('error', reject);
  });
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk;
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

/** Opens a streaming GET; `until(re)` waits (bounded) for the body so far to match. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const req = http.get(url, { headers, agent: false });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve).on('error', reject);
  });
  let body = '';
  res.setEncoding('utf8');
  const waiters = new Set<() => void>();
  res.on('data', (chunk: string) => {
    body += chunk;
    for (const w of waiters) w();
  });
  res.on('error', () => {});
  return {
    res,
    get body() {
      return body;
    },
    until(re: RegExp, ms = 3000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = re.exec(body);
          if (!m) return false;
          clearTimeout(timer);
          waiters.delete(onData);
          resolve(m);
          return true;
        };
        const onData = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(onData);
          reject(new Error(`timed out waiting for ${re} in ${JSON.stringify(body.slice(-500))}`));
        }, ms);
        waiters.add(onData);
        check();
      });
    },
    close() {
      req.destroy();
    },
  };
}

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|heroku)\[[\w.]+\]: .*$/;

describe('log sessions over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('answers 404 Not found for an unknown session', async () => {
    const res = await get(h.url('/sessions/00000000-0000-4000-8000-000000000000'));
    assert.equal(res.status, 404);
    assert.equal(res.body, 'Not found');
  });

  it('serves the recent lines as text, oldest first, then ends; a session is used once', async () => {
    for (let i = 1; i <= 5; i++) h.logplex.emit('hist', 'app', 'web.1', `line ${i}`);
    const session = h.logplex.createSession('hist', { lines: 3 });
    assert.match(session.id, /^[0-9a-f-]{36}$/);
    assert.match(session.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const res = await get(h.url(`/sessions/${session.id}`));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    const lines = res.body.split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 3);
    for (const line of lines) assert.match(line, LINE);
    assert.deepEqual(
      lines.map((l) => l.split(': ')[1]),
      ['line 3', 'line 4', 'line 5'],
    );
    assert.equal((await get(h.url(`/sessions/${session.id}`))).status, 404);
  });

  it('defaults to 100 lines, caps at 1500, and applies the dyno and source filters', async () => {
    for (let i = 1; i <= 120; i++) h.logplex.emit('many', 'app', i % 2 ? 'web.1' : 'worker.1', `n${i}`);
    h.logplex.emit('many', 'heroku', 'web.1', 'State changed from starting to up');
    const all = await get(h.url(`/sessions/${h.logplex.createSession('many').id}`));
    assert.equal(all.body.split('\n').length - 1, 100);
    assert.equal(h.logplex.createSession('many', { lines: 99_999 }).lines, 1500);
    const web = await get(h.url(`/sessions/${h.logplex.createSession('many', { lines: 2, dyno: 'web', source: 'app' }).id}`));
    assert.deepEqual(
      web.body
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\S+ /, '')),
      ['app[web.1]: n117', 'app[web.1]: n119'],
    );
  });

  it('tails: a line emitted after the client connected arrives, and disconnecting cleans up', async () => {
    h.logplex.emit('tail', 'app', 'web.1', 'history line');
    const session = h.logplex.createSession('tail', { tail: true, lines: 10 });
    const stream = await openStream(h.url(`/sessions/${session.id}`));
    assert.equal(stream.res.statusCode, 200);
    await stream.until(/history line\n/);
    assert.equal(h.logplex.subscriberCount('tail'), 1);
    h.logplex.emit('tail', 'heroku', 'router', 'at=info method=GET path="/"');
    h.logplex.emit('tail', 'app', 'web.2', 'live line');
    const m = await stream.until(/heroku\[router\]: at=info method=GET path="\/"\n(.*)\n/);
    assert.match(m[1]!, /app\[web\.2\]: live line$/);
    stream.close();
    const deadline = Date.now() + 3000;
    while (h.logplex.subscriberCount('tail') > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.logplex.subscriberCount('tail'), 0);
  });

  it('tails: ASCII and non-ASCII lines written in the same turn both arrive intact', async () => {
    const session = h.logplex.createSession('utf8', { tail: true, lines: 0 });
    const stream = await openStream(h.url(`/sessions/${session.id}`));
    await new Promise((r) => setTimeout(r, 50));
    h.logplex.emit('utf8', 'app', 'web.1', 'plain one\nplain two');
    h.logplex.emit('utf8', 'app', 'web.1', 'héllo ✓ 日本');
    h.logplex.emit('utf8', 'app', 'web.1', 'plain three');
    const m = await stream.until(/: plain three\n/);
    assert.deepEqual(m.input!.trimEnd().split('\n').map((l) => l.split(': ')[1]), ['plain one', 'plain two', 'héllo ✓ 日本', 'plain three']);
    stream.close();
  });

  it('speaks Server-Sent Events when the client accepts text/event-stream', async () => {
    h.logplex.emit('sse', 'app', 'web.1', 'first');
    const session = h.logplex.createSession('sse', { tail: true });
    const stream = await openStream(h.url(`/sessions/${session.id}`), { Accept: 'text/event-stream' });
    assert.equal(stream.res.headers['content-type'], 'text/event-stream');
    await stream.until(/first\n\n/);
    h.logplex.emit('sse', 'app', 'web.1', 'second');
    await stream.until(/second\n\n/);
    const events = stream.body.split('\n\n').filter(Boolean);
    assert.equal(events.length, 2);
    events.forEach((event, i) => {
      const [id, data, ...rest] = event.split('\n');
      assert.equal(id, `id: ${i + 1}`);
      assert.match(data!, /^data: \S+ app\[web\.1\]: (first|second)$/);
      assert.deepEqual(rest, []);
    });
    stream.close();
  });
});

describe('log sessions: expiry, heartbeat, close', () => {
  it('forgets a session after its time to live', async () => {
    const h = await startHarness({ sessionTtlMs: 20 });
    try {
      const session = h.logplex.createSession('exp');
      await new Promise((r) => setTimeout(r, 40));
      assert.equal((await get(h.url(`/sessions/${session.id}`))).status, 404);
    } finally {
      await h.close();
    }
  });

  it('sends a comment heartbeat on an idle SSE tail, and close() ends open tails', async () => {
    const h = await startHarness({ sseHeartbeatMs: 30 });
    try {
      const session = h.logplex.createSession('hb', { tail: true });
      const stream = await openStream(h.url(`/sessions/${session.id}`), { Accept: 'text/event-stream' });
      await stream.until(/^: heartbeat\n\n/);
      const ended = once(stream.res, 'end');
      h.logplex.close();
      await ended;
      assert.equal(h.logplex.subscriberCount('hb'), 0);
    } finally {
      await h.close();
    }
  });

  it('drops the sessions of a forgotten app', async () => {
    const h = await startHarness();
    try {
      const session = h.logplex.createSession('gone');
      h.logplex.forget('gone');
      assert.equal((await get(h.url(`/sessions/${session.id}`))).status, 404);
    } finally {
      await h.close();
    }
  });
});

describe('log sessions: a tail that cannot keep up', () => {
  it('drops what its queue cannot hold and tells the client with L11', async () => {
    const h = await startHarness({ subscriberQueueLines: 10 });
    try {
      const session = h.logplex.createSession('burst', { tail: true, lines: 0 });
      const stream = await openStream(h.url(`/sessions/${session.id}`));
      // A burst far bigger than the socket takes at once: the tail's writes back up, its queue fills.
      const total = 300;
      for (let i = 0; i < total; i++) h.logplex.emit('burst', 'app', 'web.1', `${i} ${'x'.repeat(9_990)}`);
      const m = await stream.until(/heroku\[logplex\]: Error L11 \(Tail buffer overflow\) -> This tail session dropped (\d+) messages since \S+\+00:00\.\n/, 10_000);
      // Caught up again: new lines flow as usual.
      h.logplex.emit('burst', 'app', 'web.1', 'after the burst');
      await stream.until(/app\[web\.1\]: after the burst\n$/, 10_000);
      const delivered = stream.body.split('\n').filter((l) => / app\[web\.1\]: \d+ x/.test(l)).length;
      assert.ok(Number(m[1]) > 0);
      assert.equal(delivered + Number(m[1]), total);
      stream.close();
    } finally {
      await h.close();
    }
  });
});

describe('log sessions: a tail keeps up with a burst', () => {
  it('delivers a burst of 5000 lines emitted in one go, in order, without L11', async () => {
    const h = await startHarness();
    try {
      const session = h.logplex.createSession('keepup', { tail: true, lines: 0 });
      const stream = await openStream(h.url(`/sessions/${session.id}`), { Accept: 'text/event-stream' });
      await new Promise((r) => setImmediate(r));
      const total = 5000;
      for (let i = 1; i <= total; i += 500) {
        h.logplex.emit('keepup', 'app', 'worker.1', Array.from({ length: 500 }, (_, j) => `burst line ${i + j} ${'y'.repeat(60)}`).join('\n'));
      }
      await stream.until(new RegExp(`burst line ${total} y+\\n\\n$`), 10_000);
      const got = [...stream.body.matchAll(/^data: \S+ app\[worker\.1\]: burst line (\d+) /gm)].map((m) => Number(m[1]));
      assert.deepEqual(got, Array.from({ length: total }, (_, i) => i + 1));
      assert.doesNotMatch(stream.body, /L11/);
      stream.close();
    } finally {
      await h.close();
    }
  });
});
