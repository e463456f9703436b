// The API's lines in the platform log: Fastify logs through the platform's logger, and each request's
// lines carry the id the client gets as Request-Id (inject() over the real server, no platform).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createApiServer, type ApiServerOptions } from './server.ts';

test('a request is logged at debug with the Request-Id its answer carries', async () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  // Only the routes' registration runs: `/` and an unknown path need none of the platform's parts.
  const { app } = await createApiServer({ deps: {}, git: {}, push: {}, dataDir: '/nonexistent', sessionStream: () => undefined, logger } as unknown as ApiServerOptions);
  try {
    const res = await app.inject({ method: 'GET', url: '/' });
    assert.equal(res.statusCode, 200);
    const id = res.headers['request-id'];
    assert.match(String(id), /^[0-9a-f-]{36}$/);
    const line = lines.find((l) => l.request_id === id);
    assert.ok(line, `a line carries request_id ${id}: ${JSON.stringify(lines)}`);
    assert.equal(line.component, 'api');
    assert.equal(line.level, 20);
    assert.equal(line.status, 200);
    assert.equal(line.url, '/');
    const other = await app.inject({ method: 'GET', url: '/' });
    assert.notEqual(other.headers['request-id'], id, 'every request has its own id');
  } finally {
    await app.close();
  }
});
