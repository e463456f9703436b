import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { overHighWater, parseHighWater } from './disk.ts';
import { HealthEndpoints, isLoopback, tokenMatches } from './endpoints.ts';
import { PlatformMetrics } from './metrics.ts';
import { runChecks } from './readiness.ts';

test('a check that throws or hangs fails with what happened; the others still answer', async () => {
  const r = await runChecks({
    fine: async () => undefined,
    broken: async () => { throw new Error('disk I/O error'); },
    stuck: () => new Promise(() => undefined),
    down: async () => 'haproxy exited',
  }, 50);
  assert.equal(r.ready, false);
  assert.deepEqual(r.checks, {
    fine: { ok: true }, broken: { ok: false, message: 'check failed: disk I/O error' },
    stuck: { ok: false, message: 'no answer within 0.05 s' }, down: { ok: false, message: 'haproxy exited' },
  });
  assert.equal((await runChecks({ a: async () => undefined })).ready, true);
});

test('the high-water mark: a percentage, 90 by default; past it the disk check says what is refused', () => {
  assert.equal(parseHighWater(undefined), 0.9);
  assert.equal(parseHighWater('75'), 0.75);
  assert.equal(parseHighWater('80%'), 0.8);
  for (const bad of ['0', '101', 'lots', '-5']) assert.throws(() => parseHighWater(bad), /SLIPWAY_DISK_HIGH_WATER must be a percentage/);
  assert.equal(overHighWater({ totalBytes: 100, freeBytes: 20, used: 0.8 }, 0.9), undefined);
  assert.match(overHighWater({ totalBytes: 100, freeBytes: 5, used: 0.95 }, 0.9) ?? '', /95% used .* high-water mark of 90% .* builds and slug uploads are refused/);
});

test('the scrape token compares whole; loopback is 127/8 and ::1 only', () => {
  assert.ok(tokenMatches('Bearer s3cret', 's3cret'));
  assert.ok(!tokenMatches('Bearer s3cre', 's3cret'));
  assert.ok(!tokenMatches('Bearer s3cretX', 's3cret'));
  assert.ok(!tokenMatches('Basic s3cret', 's3cret'));
  assert.ok(!tokenMatches(undefined, 's3cret'));
  for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.9']) assert.ok(isLoopback(a), a);
  for (const a of ['10.0.0.1', '::ffff:10.1.2.3', '1127.0.0.1', '::2', undefined]) assert.ok(!isLoopback(a), String(a));
});

/** Runs one request through the endpoints with a socket from `remote`; resolves with the status and body. */
function ask(h: HealthEndpoints, path: string, remote: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = { url: path, method: 'GET', headers, socket: { remoteAddress: remote } } as unknown as IncomingMessage;
    let status = 0;
    const res = {
      headersSent: false,
      writeHead(s: number) { status = s; return this; },
      end(body: string) { resolve({ status, body: String(body) }); },
    } as unknown as ServerResponse;
    if (!h.handle(req, res)) resolve(undefined);
  });
}

test('without a scrape token the metrics answer loopback only; other paths are the API\'s', async () => {
  const metrics = new PlatformMetrics({
    dataDir: '.', dynoStates: async () => ['up', 'up', 'crashed'], logCounts: () => ({ lines: 3, dropped: 1 }),
    drainBacklogs: () => [{ drainId: 'd1', appId: 'a1', lines: 7 }], finishedBuilds: async () => [],
  });
  const open = new HealthEndpoints({ checks: {}, metrics });
  const far = await ask(open, '/metrics', '203.0.113.9');
  assert.equal(far?.status, 403);
  assert.match(far?.body ?? '', /SLIPWAY_METRICS_TOKEN/);
  const near = await ask(open, '/metrics', '127.0.0.1');
  assert.equal(near?.status, 200);
  assert.match(near?.body ?? '', /^slipway_dynos\{state="up"\} 2$/m);
  assert.match(near?.body ?? '', /^slipway_dynos\{state="crashed"\} 1$/m);
  assert.match(near?.body ?? '', /^slipway_drain_backlog_lines\{drain="d1",app="a1"\} 7$/m);
  assert.match(near?.body ?? '', /^slipway_log_lines_dropped_total 1$/m);
  // With a token, loopback needs it too.
  const guarded = new HealthEndpoints({ checks: {}, metrics, metricsToken: 't0k' });
  assert.equal((await ask(guarded, '/metrics', '127.0.0.1'))?.status, 401);
  assert.equal((await ask(guarded, '/metrics', '203.0.113.9', { authorization: 'Bearer t0k' }))?.status, 200);
  assert.equal((await ask(open, '/healthz', '203.0.113.9'))?.status, 200);
  assert.equal(await ask(open, '/apps', '127.0.0.1'), undefined);
  assert.equal(await ask(open, '/metricsx', '127.0.0.1'), undefined);
});
