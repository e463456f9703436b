// Drains against real receivers on loopback (TCP, TLS, HTTP, HTTPS), fed by a real Logplex: every line
// arrives once, in order, framed as Heroku frames it; a receiver that is down and comes back gets what
// the backlog held and an L10 line counting the rest; a receiver that fails requests is retried.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type OpenedStore } from '../../store/index.ts';
import { Logplex } from '../logplex.ts';
import { Drains } from './index.ts';
import { parseAllowedTargets } from '../../egress/index.ts';
import { HttpReceiver, makeTls, removeTls, SyslogReceiver, type SyslogMessage, type Tls } from './test-helpers.ts';

const APP = '6f1c1e7e-0000-4000-8000-000000000001';
/** The store's encryption is the platform's (tested with the cipher); these tests are about delivery. */
const plainUrls = { seal: (_row: unknown, url: string) => url, open: (row: { url: string }) => row.url };
const LOOPBACK_ALLOWED = parseAllowedTargets('127.0.0.1');

function seqMessages(ms: SyslogMessage[]): number[] {
  return ms.filter((m) => m.procId === 'worker.1').map((m) => Number(/^line (\d+)\n$/.exec(m.message)?.[1]));
}

describe('drains', () => {
  let store: OpenedStore;
  let logs: Logplex;
  let drains: Drains;
  let tls: Tls;

  before(async () => {
    store = openStore(':memory:');
    const t = new Date().toISOString();
    await store.db.insertInto('accounts').values({ id: 'acct', email: 'ops@example.com', api_key_hash: 'x', created_at: t, updated_at: t }).execute();
    await store.db.insertInto('apps').values({ id: APP, name: 'drained', owner_id: 'acct', stack: 's', maintenance: 0, buildpack_provided_description: null, released_at: null, created_at: t, updated_at: t }).execute();
    logs = new Logplex({ appLinesBurst: 100_000 }); // floods here test the drains' own bounds, not the app's output budget
    // The receivers are on loopback: allowed as the operator's SLIPWAY_ALLOW_PRIVATE_TARGETS would.
    drains = new Drains({ db: store.db, logs, urls: plainUrls, minBackoffMs: 50, maxBackoffMs: 200, reportError: () => undefined, egress: LOOPBACK_ALLOWED });
    tls = await makeTls();
  });
  after(async () => {
    await drains.close();
    logs.close();
    await store.close();
    await removeTls(tls);
  });

  test('a syslog drain gets every line in order as octet-counted RFC 5424 with the drain token', async () => {
    const rx = new SyslogReceiver();
    await rx.start();
    try {
      const row = await drains.add(APP, `syslog://127.0.0.1:${rx.port}`);
      assert.match(row.token, /^d\.[0-9a-f-]{36}$/);
      logs.emit(APP, 'heroku', 'router', 'at=info method=GET path="/" status=200');
      logs.emit(APP, 'app', 'api', 'Release v3 created by user ops@example.com');
      await rx.waitUntil((ms) => ms.length >= 2, 'the first lines');
      // A burst of 1000 lines within one turn of the event loop (50 emits of 20 lines) fits the backlog (1024).
      for (let i = 1; i <= 50; i++) logs.emit(APP, 'app', 'worker.1', Array.from({ length: 20 }, (_, j) => `line ${(i - 1) * 20 + j + 1}`).join('\n'));
      await rx.waitUntil((ms) => seqMessages(ms).length >= 1000, 'all 1000 worker lines');
      assert.deepEqual(rx.errors, []);
      assert.deepEqual(seqMessages(rx.messages), Array.from({ length: 1000 }, (_, i) => i + 1));
      const [router, api] = rx.messages;
      assert.deepEqual({ ...router, timestamp: '' }, { pri: 158, timestamp: '', hostname: row.token, appName: 'heroku', procId: 'router', msgId: '-', structuredData: '-', message: 'at=info method=GET path="/" status=200\n' });
      assert.equal(api!.pri, 45);
      assert.equal(api!.appName, 'app');
      assert.match(router!.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
      const worker = rx.messages.find((m) => m.procId === 'worker.1')!;
      assert.equal(worker.pri, 190);
      assert.ok(!rx.messages.some((m) => /Error L10/.test(m.message)), 'no drops while the receiver kept up');
      // A burst three times the backlog in one emit goes straight into the connected socket.
      rx.messages.length = 0;
      logs.emit(APP, 'app', 'worker.1', Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`).join('\n'));
      await rx.waitUntil((ms) => seqMessages(ms).length >= 3000, 'the 3000-line burst');
      assert.deepEqual(seqMessages(rx.messages), Array.from({ length: 3000 }, (_, i) => i + 1));
      await drains.remove(APP, row.token);
    } finally {
      await rx.stop();
    }
  });

  test('a syslog+tls drain checks the certificate: L14 when it cannot, delivery with #insecure', async () => {
    const rx = new SyslogReceiver(tls);
    await rx.start();
    const seen: string[] = [];
    const stop = logs.subscribe(APP, { dyno: 'logplex' }, (l) => void seen.push(l.message));
    try {
      const strict = await drains.add(APP, `syslog+tls://127.0.0.1:${rx.port}`);
      logs.emit(APP, 'app', 'web.1', 'over tls');
      const deadline = Date.now() + 10_000;
      while (!seen.some((m) => m.startsWith('Error L14 (certificate validation)')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.match(seen.join('\n'), new RegExp(`Error L14 \\(certificate validation\\): error="[^"]+" uri="syslog\\+tls://127\\.0\\.0\\.1:${rx.port}`));
      assert.equal(rx.messages.length, 0, 'nothing is sent to a server whose certificate is not trusted');
      await drains.remove(APP, strict.id);
      await drains.add(APP, `syslog+tls://127.0.0.1:${rx.port}#insecure`);
      logs.emit(APP, 'app', 'web.1', 'over tls, unchecked');
      await rx.waitUntil((ms) => ms.some((m) => m.message === 'over tls, unchecked\n'), 'the line over TLS');
    } finally {
      stop();
      for (const d of await drains.list(APP)) await drains.remove(APP, d.id);
      await rx.stop();
    }
  });

  test('an HTTPS-style drain POSTs application/logplex-1 batches with logplex headers and Basic auth', async () => {
    const rx = new HttpReceiver();
    await rx.start();
    try {
      const row = await drains.add(APP, `http://user:s3cret@127.0.0.1:${rx.port}/logs`);
      for (let i = 1; i <= 300; i++) logs.emit(APP, 'app', 'worker.1', `line ${i}`);
      await rx.waitUntil((ms) => seqMessages(ms).length >= 300, 'all 300 lines');
      assert.deepEqual(rx.errors, []);
      assert.deepEqual(seqMessages(rx.messages), Array.from({ length: 300 }, (_, i) => i + 1));
      const post = rx.posts[0]!;
      assert.equal(post.headers['content-type'], 'application/logplex-1');
      assert.equal(post.headers['logplex-drain-token'], row.token);
      assert.match(String(post.headers['logplex-frame-id']), /^[0-9A-F]{32}$/);
      assert.match(String(post.headers['user-agent']), /^Logplex\//);
      assert.equal(post.headers.authorization, `Basic ${Buffer.from('user:s3cret').toString('base64')}`);
      assert.match(post.body, /^\d+ <190>1 \S+ host app worker\.1 - line 1\n/);
      // A burst three times the backlog in one emit: cut into batches ahead of time, none dropped.
      rx.messages.length = 0;
      logs.emit(APP, 'app', 'worker.1', Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`).join('\n'));
      await rx.waitUntil((ms) => seqMessages(ms).length >= 3000, 'the 3000-line burst');
      assert.deepEqual(seqMessages(rx.messages), Array.from({ length: 3000 }, (_, i) => i + 1));
      assert.ok(!rx.messages.some((m) => /Error L10/.test(m.message)));
      await drains.remove(APP, row.id);
    } finally {
      await rx.stop();
    }
  });

  test('an HTTPS drain whose certificate cannot be checked logs L14 and delivers nothing', async () => {
    const rx = new HttpReceiver(tls);
    await rx.start();
    const seen: string[] = [];
    const stop = logs.subscribe(APP, { dyno: 'logplex' }, (l) => void seen.push(l.message));
    const row = await drains.add(APP, `https://user:secret@127.0.0.1:${rx.port}/`);
    try {
      logs.emit(APP, 'app', 'web.1', 'over https');
      const deadline = Date.now() + 10_000;
      while (!seen.some((m) => m.startsWith('Error L14')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.match(seen.join('\n'), new RegExp(`Error L14 \\(certificate validation\\): error="[^"]+" uri="https://user:REDACTED@127\\.0\\.0\\.1:${rx.port}/"`));
      assert.equal(rx.posts.length, 0);
    } finally {
      stop();
      await drains.remove(APP, row.id);
      await rx.stop();
    }
  });

  test('a failed POST is retried with the same Frame-Id', async () => {
    const rx = new HttpReceiver(tls);
    await rx.start();
    let calls = 0;
    rx.status = () => (++calls === 1 ? 503 : 200);
    try {
      const row = await drains.add(APP, `https://127.0.0.1:${rx.port}/#insecure`);
      logs.emit(APP, 'app', 'web.1', 'retry me');
      await rx.waitUntil((ms) => ms.some((m) => m.message === 'retry me\n'), 'the retried line');
      assert.equal(rx.posts[0]!.status, 503);
      assert.equal(rx.posts[1]!.headers['logplex-frame-id'], rx.posts[0]!.headers['logplex-frame-id']);
      assert.equal(rx.posts[1]!.body, rx.posts[0]!.body);
      await drains.remove(APP, row.id);
    } finally {
      await rx.stop();
    }
  });

  for (const kind of ['syslog', 'http'] as const) {
    test(`a ${kind} drain that is down and comes back gets its backlog in order, and L10 counts the rest`, async () => {
      const rx = kind === 'syslog' ? new SyslogReceiver() : new HttpReceiver();
      await rx.start();
      const port = rx.port;
      await rx.stop();
      const row = await drains.add(APP, kind === 'syslog' ? `syslog://127.0.0.1:${port}` : `http://127.0.0.1:${port}/`);
      try {
        // More than the backlog (1024) and the batches an HTTP drain may cut ahead (8 × up to 1000).
        const total = 12_000;
        for (let i = 1; i <= total; i++) logs.emit(APP, 'app', 'worker.1', `line ${i}`);
        // Give the drain time to fail a few connects; nothing must block meanwhile.
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(drains.drain(row.id)!.backlog <= 1024, true, 'the backlog stays within its bound');
        await rx.start(port);
        await rx.waitUntil((ms) => seqMessages(ms).includes(total), 'the newest line after coming back');
        const isL10 = (m: SyslogMessage) => /^Error L10 \(output buffer overflow\): \d+ messages dropped since \S+\.\n$/.test(m.message);
        const l10s = rx.messages.filter(isL10);
        assert.ok(l10s.length >= 1, `an L10 line: ${JSON.stringify(rx.messages.slice(0, 3))}`);
        for (const m of l10s) assert.deepEqual([m.appName, m.procId, m.pri], ['heroku', 'logplex', 172]);
        const dropped = l10s.reduce((n, m) => n + Number(/(\d+) messages dropped/.exec(m.message)![1]), 0);
        // In order; a gap only where an L10 stands; with the L10 counts, nothing is unaccounted for.
        let prev = 0;
        let gapAllowed = false;
        for (const m of rx.messages) {
          if (isL10(m)) { gapAllowed = true; continue; }
          if (m.procId !== 'worker.1') continue;
          const n = Number(/^line (\d+)\n$/.exec(m.message)![1]);
          assert.ok(n === prev + 1 || (gapAllowed && n > prev), `line ${n} after ${prev} with no L10 between`);
          prev = n;
          gapAllowed = false;
        }
        const got = seqMessages(rx.messages);
        assert.equal(got.at(-1), total);
        assert.equal(got.length + dropped, total);
        assert.ok(got.length >= 1024, `the whole backlog (1024) arrived, got ${got.length}`);
      } finally {
        await drains.remove(APP, row.id);
        await rx.stop();
      }
    });
  }

  test('drains stored by one platform run are started by the next', async () => {
    const rx = new SyslogReceiver();
    await rx.start();
    const row = await drains.add(APP, `syslog://127.0.0.1:${rx.port}`);
    const nextLogs = new Logplex();
    const next = new Drains({ db: store.db, logs: nextLogs, urls: plainUrls, minBackoffMs: 50, reportError: () => undefined, egress: LOOPBACK_ALLOWED });
    try {
      await drains.close();
      await next.start();
      nextLogs.emit(APP, 'app', 'web.1', 'after the restart');
      await rx.waitUntil((ms) => ms.some((m) => m.message === 'after the restart\n' && m.hostname === row.token), 'the line from the restarted drain');
    } finally {
      await next.remove(APP, row.id);
      await next.close();
      nextLogs.close();
      await rx.stop();
    }
  });

  test('a process that does not lead runs no drain until it starts, and tells the leader of each change, which reads the app\'s drains again', async () => {
    const rx = new SyslogReceiver();
    await rx.start();
    const standbyLogs = new Logplex();
    const leaderLogs = new Logplex();
    const told: string[] = [];
    const standby = new Drains({ db: store.db, logs: standbyLogs, urls: plainUrls, waitForStart: true, onChange: (app) => told.push(app), reportError: () => undefined, egress: LOOPBACK_ALLOWED });
    const leader = new Drains({ db: store.db, logs: leaderLogs, urls: plainUrls, waitForStart: true, reportError: () => undefined, egress: LOOPBACK_ALLOWED });
    try {
      await leader.start();
      const row = await standby.add(APP, `syslog://127.0.0.1:${rx.port}`);
      assert.deepEqual(told, [APP]);
      assert.equal(standby.drain(row.id), undefined, 'the standby runs no drain');
      standbyLogs.emit(APP, 'app', 'web.1', 'stored in the standby alone');
      await leader.resync(APP);
      leaderLogs.emit(APP, 'app', 'web.1', 'delivered by the leader');
      await rx.waitUntil((ms) => ms.some((m) => m.message === 'delivered by the leader\n'), 'the leader\'s line');
      assert.ok(!rx.messages.some((m) => m.message === 'stored in the standby alone\n'));
      await standby.remove(APP, row.id);
      assert.deepEqual(told, [APP, APP]);
      await leader.resync(APP);
      assert.equal(leader.drain(row.id), undefined, 'the leader stopped the removed drain');
    } finally {
      await standby.close();
      await leader.close();
      standbyLogs.close();
      leaderLogs.close();
      await rx.stop();
    }
  });

  test('bad URLs are refused with what to do; at most five drains per app', async () => {
    for (const d of await drains.list(APP)) await drains.remove(APP, d.url);
    await assert.rejects(drains.add(APP, 'syslog://logs.example.com'), /no port: syslog drains need one/);
    await assert.rejects(drains.add(APP, 'syslog+udp://logs.example.com:514'), /UDP syslog drains are not supported/);
    await assert.rejects(drains.add(APP, 'ftp://logs.example.com'), /scheme ftp:\/\/ is not supported/);
    await assert.rejects(drains.add(APP, 'not a url'), /is not a URL/);
    for (let i = 0; i < 5; i++) await drains.add(APP, `syslog://127.0.0.1:${1000 + i}`);
    await assert.rejects(drains.add(APP, 'syslog://127.0.0.1:999'), /most an app may have \(5\)/);
    await assert.rejects(drains.add(APP, 'syslog://127.0.0.1:1000'), /already been taken/);
    for (const d of await drains.list(APP)) await drains.remove(APP, d.url);
    assert.equal((await drains.list(APP)).length, 0);
  });
  test('without the operator\'s setting a drain to loopback, by address or by name, gets nothing and the app is told why', async () => {
    const rx = new SyslogReceiver();
    const web = new HttpReceiver();
    await rx.start();
    await web.start();
    const strictLogs = new Logplex();
    const strict = new Drains({ db: store.db, logs: strictLogs, urls: plainUrls, minBackoffMs: 50, maxBackoffMs: 200, reportError: () => undefined, egress: parseAllowedTargets(undefined) });
    const notices: string[] = [];
    strictLogs.follow(APP, (l) => { if (l.source === 'heroku' && l.dyno === 'logplex') notices.push(l.message); });
    // A literal address is refused when the drain is added, with what to do...
    await assert.rejects(strict.add(APP, `syslog://127.0.0.1:${rx.port}`),
      /^Error: Cannot drain to syslog:\/\/127\.0\.0\.1:\d+: 127\.0\.0\.1 is a loopback, link-local or private address; the operator can allow it with SLIPWAY_ALLOW_PRIVATE_TARGETS\.$/);
    // ...a name is checked where it is resolved, at each connect.
    const rows = [await strict.add(APP, `http://localhost:${web.port}/logs`)];
    try {
      for (let i = 0; i < 20; i++) {
        strictLogs.emit(APP, 'app', 'web.1', `secret line ${i}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(rx.messages, [], 'the syslog receiver on 127.0.0.1 got nothing');
      assert.deepEqual(web.posts, [], 'the HTTP receiver behind localhost got nothing');
      assert.ok(notices.some((n) => /^Drain not delivered: refusing to connect to localhost: /.test(n)), notices.join('\n'));
    } finally {
      for (const row of rows) await strict.remove(APP, row.id);
      await strict.close();
      strictLogs.close();
      await rx.stop();
      await web.stop();
    }
  });
});
