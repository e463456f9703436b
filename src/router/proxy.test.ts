// Tests of the router's data path against misbehaving dynos on real sockets: H12 (no first byte),
// H13 (closed without response), H21 and retries (refused), H18 (cut mid-response), H27 (client
// left), H24 (router closed), and a WebSocket-style Upgrade echoed through a raw net upstream.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  assertApplicationError,
  deadPort,
  request,
  startRawUpstream,
  startRouter,
  startUpstream,
  type Harness,
  type Upstream,
} from './test-helpers.ts';

describe('router: dyno failures', () => {
  let h: Harness;
  const upstreams: Upstream[] = [];
  before(async () => {
    h = await startRouter({ requestTimeoutMs: 200, connectTimeoutMs: 500 });
  });
  after(async () => {
    await h.close();
  });
  afterEach(async () => {
    h.logs.lines.length = 0;
    for (const u of upstreams.splice(0)) await u.close();
  });
  const upstream = async (handler: http.RequestListener): Promise<Upstream> => {
    const u = await startUpstream(handler);
    upstreams.push(u);
    return u;
  };

  it('H12 when the dyno sends nothing within the request timeout', async () => {
    const u = await upstream(() => {
      /* never answers */
    });
    h.routes.set('sleepy', { up: [u.target('web.1')] });
    const started = performance.now();
    assertApplicationError(await request(h.router.port, 'sleepy.localhost'));
    assert.ok(performance.now() - started >= 190);
    const m = /^at=error code=H12 desc="Request timeout" method=GET path="\/" host=sleepy\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=(\d+)ms status=503 bytes=0 protocol=http$/.exec(
      (await h.logs.nth(1)).message,
    );
    assert.ok(m, h.logs.lines[0]!.message);
    assert.ok(Number(m[1]) >= 190);
  });

  it('H13 when the dyno closes the connection without a response', async () => {
    const u = await upstream((req) => req.socket.destroy());
    h.routes.set('rude', { up: [u.target('web.1')] });
    assertApplicationError(await request(h.router.port, 'rude.localhost'));
    assert.match(
      (await h.logs.nth(1)).message,
      /^at=error code=H13 desc="Connection closed without response" method=GET path="\/" host=rude\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=503 bytes=0 protocol=http$/,
    );
  });

  it('H21 when every dyno refuses the connection', async () => {
    const port1 = await deadPort();
    const port2 = await deadPort();
    h.routes.set('refused', {
      up: [
        { dyno: 'web.1', host: '127.0.0.1', port: port1 },
        { dyno: 'web.2', host: '127.0.0.1', port: port2 },
      ],
    });
    assertApplicationError(await request(h.router.port, 'refused.localhost'));
    assert.match(
      (await h.logs.nth(1)).message,
      /^at=error code=H21 desc="Backend connection refused" method=GET path="\/" host=refused\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.[12] connect=\d+ms service= status=503 bytes= protocol=http$/,
    );
  });

  it('retries a refused connect on another up dyno, body included', async () => {
    const live = await upstream((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.end(`got ${body}`));
    });
    const dead = { dyno: 'web.1', host: '127.0.0.1', port: await deadPort() };
    const route = h.routes.set('retry', { up: [dead, live.target('web.2')] });
    assert.ok(route);
    // The dead dyno is listed first and the choice is random: repeat so it is surely hit first.
    for (let i = 0; i < 6; i++) {
      const reply = await request(h.router.port, 'retry.localhost', { method: 'POST', body: 'payload' });
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'got payload');
    }
    for (const line of h.logs.lines) assert.match(line.message, /^at=info .* dyno=web\.2 .* status=200 /);
  });

  it('resends a bodyless request once when a pooled connection turns out dead; a POST gets H13', async () => {
    const served = new WeakMap<object, number>();
    // Answers the first request on each connection and drops the connection on the second: the
    // keep-alive race a dyno with a short idle timeout causes.
    const u = await upstream((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) req.socket.destroy();
      else res.end('fresh');
    });
    h.routes.set('pooled', { up: [u.target('web.1')] });
    assert.equal((await request(h.router.port, 'pooled.localhost')).body, 'fresh');
    assert.equal((await request(h.router.port, 'pooled.localhost')).body, 'fresh');
    assert.equal(u.connections, 2, 'one pooled connection, one fresh for the resend');
    // A request with a body is not resent: it may have reached the dyno.
    assert.equal((await request(h.router.port, 'pooled.localhost')).body, 'fresh');
    assertApplicationError(await request(h.router.port, 'pooled.localhost', { method: 'POST', body: 'x' }));
    assert.match((await h.logs.nth(4)).message, /^at=error code=H13 desc="Connection closed without response" method=POST /);
    assert.deepEqual(
      h.logs.lines.slice(0, 3).map((l) => /status=(\d+)/.exec(l.message)![1]),
      ['200', '200', '200'],
    );
  });

  it('H18 when the dyno dies mid-response; the client is cut off', async () => {
    const u = await upstream((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    h.routes.set('dies', { up: [u.target('web.1')] });
    await assert.rejects(request(h.router.port, 'dies.localhost'));
    assert.match(
      (await h.logs.nth(1)).message,
      /^sock=backend at=error code=H18 desc="Server Request Interrupted" method=GET path="\/" host=dies\.localhost .* dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http$/,
    );
  });

  it('H27 when the client leaves before the response', async () => {
    let upstreamSawClose!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamSawClose = resolve));
    const u = await upstream((req) => req.socket.once('close', () => upstreamSawClose()));
    h.routes.set('leave', { up: [u.target('web.1')] });
    const req = http.request({ host: '127.0.0.1', port: h.router.port, path: '/wait', headers: { Host: 'leave.localhost' }, agent: false });
    req.on('error', () => {});
    req.end();
    setTimeout(() => req.destroy(), 50);
    assert.match(
      (await h.logs.nth(1)).message,
      /^sock=client at=warning code=H27 desc="Client Request Interrupted" method=GET path="\/wait" .* dyno=web\.1 connect=\d+ms service=\d+ms status=499 bytes=0 protocol=http$/,
    );
    await closed; // the router dropped its dyno connection too
  });
});

/** A raw upstream that accepts any Upgrade with 101 and then echoes every byte. */
function echoUpgrade(seen: string[]): (socket: net.Socket) => void {
  return (socket) => {
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      seen.push(head.slice(0, end));
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      const rest = head.slice(end + 4);
      if (rest) socket.write(Buffer.from(rest, 'latin1'));
      socket.pipe(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  };
}

/** Connects to the router and reads bytes until `re` matches what arrived. */
async function rawClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
  const closed = once(socket, 'close');
  return {
    socket,
    closed,
    async until(re: RegExp, ms = 3000): Promise<string> {
      const deadline = Date.now() + ms;
      while (!re.test(received)) {
        if (Date.now() > deadline || socket.destroyed) throw new Error(`no ${re} in ${JSON.stringify(received)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return received;
    },
  };
}

describe('router: Upgrade', () => {
  it('pipes an upgraded connection end to end and logs status=101 when it closes', async () => {
    const seen: string[] = [];
    const up = await startRawUpstream(echoUpgrade(seen));
    const h = await startRouter();
    try {
      h.routes.set('ws', { up: [up.target('web.1')] });
      const client = await rawClient(h.router.port);
      client.socket.write('GET /socket HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      const head = await client.until(/\r\n\r\n/);
      assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
      assert.match(head, /\r\nUpgrade: echo\r\n/i);
      assert.match(head, /\r\nVia: 1\.1 vegur\r\n/);
      client.socket.write('ping');
      await client.until(/\r\n\r\nping$/);
      client.socket.write('pong');
      await client.until(/pingpong$/);
      // The dyno saw Heroku's headers on the upgrade request.
      assert.match(seen[0]!, /^GET \/socket HTTP\/1\.1\r\n/);
      assert.match(seen[0]!, /\r\nupgrade: echo/i);
      assert.match(seen[0]!, /\r\nx-request-id: [0-9a-f-]{36}/i);
      assert.match(seen[0]!, /\r\nx-forwarded-for: 127\.0\.0\.1/i);
      assert.equal(h.logs.lines.length, 0, 'the line is written when the session ends');
      client.socket.end();
      assert.match(
        (await h.logs.nth(1)).message,
        /^at=info method=GET path="\/socket" host=ws\.localhost request_id=[0-9a-f-]{36} fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=101 bytes=\d+ protocol=http$/,
      );
    } finally {
      await h.close();
      await up.close();
    }
  });

  it('answers an Upgrade for a crashed app with the error page on the raw socket', async () => {
    const h = await startRouter();
    try {
      h.routes.set('wscrash', { crashed: true });
      const client = await rawClient(h.router.port);
      client.socket.write('GET / HTTP/1.1\r\nHost: wscrash.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      const answer = await client.until(/<\/html>\n$/);
      assert.match(answer, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.match(answer, /Content-Type: text\/html; charset=utf-8/);
      assert.match((await h.logs.nth(1)).message, /^at=error code=H10 desc="App crashed" /);
      client.socket.destroy();
    } finally {
      await h.close();
    }
  });

  it('relays a dyno that declines the Upgrade, then closes', async () => {
    const up = await startUpstream((_req, res) => res.writeHead(426, { 'Content-Type': 'text/plain' }).end('upgrade refused'));
    const h = await startRouter();
    try {
      h.routes.set('noupgrade', { up: [up.target('web.1')] });
      const client = await rawClient(h.router.port);
      client.socket.write('GET / HTTP/1.1\r\nHost: noupgrade.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      const answer = await client.until(/upgrade refused$/);
      assert.match(answer, /^HTTP\/1\.1 426 Upgrade Required\r\n/);
      await client.closed;
      assert.match((await h.logs.nth(1)).message, /^at=info .* dyno=web\.1 .* status=426 /);
    } finally {
      await h.close();
      await up.close();
    }
  });
});

describe('router: close', () => {
  it('destroys open connections and tunnels; what was cut off logs H24', async () => {
    const up = await startRawUpstream(echoUpgrade([]));
    const slow = await startUpstream(() => {
      /* never answers */
    });
    const h = await startRouter();
    try {
      h.routes.set('ws', { up: [up.target('web.1')] });
      h.routes.set('slow', { up: [slow.target('web.1')] });
      const client = await rawClient(h.router.port);
      client.socket.write('GET / HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      await client.until(/\r\n\r\n/);
      const pending = request(h.router.port, 'slow.localhost').catch((err: Error) => err);
      while (slow.connections === 0) await new Promise((r) => setTimeout(r, 5));
      await h.router.close();
      await client.closed;
      assert.ok((await pending) instanceof Error);
      const slowLine = await h.logs.nth(2).then(() => h.logs.lines.find((l) => l.appId === 'id-slow'));
      assert.match(slowLine!.message, /^at=error code=H24 desc="Forced close" .* dyno=web\.1 .* status= bytes=\d* protocol=http$/);
    } finally {
      await h.close();
      await up.close();
      await slow.close();
    }
  });
});
