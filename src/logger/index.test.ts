// The platform's log as an operator reads it: what a process writes on its stdout in each format, at
// each level (a real child process, so the sync destination and the formatting are the shipped ones).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatText, parseLevel } from './index.ts';

const MODULE = fileURLToPath(new URL('./index.ts', import.meta.url));

/** Runs `body` with `createLogger` and `componentLogger` in scope in a fresh node; its stdout and stderr. */
function run(body: string, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const script = `import { createLogger, componentLogger } from ${JSON.stringify(MODULE)};\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8', env: { ...process.env, SLIPWAY_LOG_LEVEL: '', ...env }, timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

test('text: announcements exactly as written, component lines prefixed, levels and fields shown', () => {
  const { stdout } = run(`
    const log = createLogger();
    log.info('Slipway is running (runtime: runc, stack: slipway-12).');
    log.info('    0123abcd');
    const dynos = log.child({ component: 'dynos' });
    dynos.child({ app: 'demo', dyno: 'web.1' }).info('R14 sampled');
    dynos.warn({ release: 'v3', note: 'two words' }, 'slow');
    dynos.debug('not shown at info');
    log.fatal('Slipway could not start: port 5000 is in use');
  `);
  assert.equal(stdout, [
    'Slipway is running (runtime: runc, stack: slipway-12).',
    '    0123abcd',
    'dynos: R14 sampled app=demo dyno=web.1',
    'WARN dynos: slow release=v3 note="two words"',
    ' ▸    Slipway could not start: port 5000 is in use',
    '',
  ].join('\n'));
});

test('text: an error ends the message with its first line; its stack frames follow', () => {
  const { stdout } = run(`
    const log = createLogger().child({ component: 'router' });
    log.error({ err: new Error('haproxy exited'), app: 'demo' }, 'updating failed');
  `);
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'ERROR router: updating failed: Error: haproxy exited app=demo');
  assert.match(lines[1]!, /^\s+at /, 'the stack follows');
});

test('json: one pino object per line with level, time, component and the ids', () => {
  const { stdout } = run(`
    const log = createLogger({ format: 'json', level: 'debug' });
    log.child({ component: 'api', request_id: 'r-1' }).debug({ status: 200 }, 'request completed');
  `);
  const entry = JSON.parse(stdout.trim());
  assert.equal(entry.level, 20);
  assert.equal(typeof entry.time, 'number');
  assert.equal(entry.component, 'api');
  assert.equal(entry.request_id, 'r-1');
  assert.equal(entry.status, 200);
  assert.equal(entry.msg, 'request completed');
});

test('a component built without a logger writes to stderr at SLIPWAY_LOG_LEVEL', () => {
  const body = `
    const log = componentLogger(undefined, 'housekeeping');
    log.info('removed 2 slugs');
    log.error('collection failed');
  `;
  const info = run(body);
  assert.equal(info.stdout, '');
  assert.equal(info.stderr, 'housekeeping: removed 2 slugs\nERROR housekeeping: collection failed\n');
  assert.equal(run(body, { SLIPWAY_LOG_LEVEL: 'error' }).stderr, 'ERROR housekeeping: collection failed\n');
});

test('levels: the names SLIPWAY_LOG_LEVEL takes, and nothing else', () => {
  assert.equal(parseLevel('debug'), 'debug');
  assert.equal(parseLevel(' WARN '), 'warn');
  assert.equal(parseLevel('silent'), 'silent');
  assert.equal(parseLevel('verbose'), undefined);
  assert.equal(parseLevel(undefined), undefined);
});

test('text: a line that is not JSON passes unchanged', () => {
  assert.equal(formatText('plain\n'), 'plain\n');
});
