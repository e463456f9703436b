// The generated configuration: HAProxy itself checks it (`haproxy -c`), and the parts that carry
// Heroku's behaviour are where they must be.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { haproxyAvailable } from './controller.ts';
import { backendName, haproxyConfig, hostsMap, SLOTS_PER_APP, type HaproxyApp } from './config.ts';

const apps: HaproxyApp[] = [
  { id: 'aaa', hosts: ['demo.localhost', 'www.example.com'], maintenance: false, servers: [{ slot: 's2', dyno: 'web.1', host: '10.213.0.2', port: 40001 }] },
  { id: 'bbb', hosts: ['quiet.localhost'], maintenance: true, servers: [] },
];

function config(dir: string, list: HaproxyApp[] = apps) {
  return haproxyConfig({
    listen: { host: '127.0.0.1', port: 8080 }, logPort: 5514,
    timeouts: { connectMs: 5000, backlogPerDyno: 200, queueMs: 1, serverMs: 30000, idleMs: 55000, clientKeepAliveMs: 60000 },
    paths: { statsSocket: join(dir, 's.sock'), fallbackSocket: join(dir, 'f.sock'), hostsMap: join(dir, 'hosts.map'), errorFile: join(dir, '503.http') },
  }, list);
}

test('every app gets a backend with 100 slots, up dynos in theirs, and the Node router as backup', () => {
  const cfg = config('/d');
  assert.match(cfg, new RegExp(`backend ${backendName('aaa')}\\n  balance random\\n`));
  assert.match(cfg, /  server s2 10\.213\.0\.2:40001 maxconn 200\n/);
  assert.match(cfg, /  server s1 127\.0\.0\.1:1 disabled maxconn 200\n/);
  assert.equal(cfg.match(/^  server s\d+ /gm)?.length, 2 * SLOTS_PER_APP);
  assert.match(cfg, /server node unix@\/d\/f\.sock backup/);
  assert.match(cfg, /timeout server 30000ms/);
  assert.match(cfg, /timeout tunnel 55000ms/);
  assert.match(cfg, /timeout queue 1ms/);
});

test('the host map leaves apps in maintenance to the Node router', () => {
  assert.equal(hostsMap(apps), 'demo.localhost app-aaa\nwww.example.com app-aaa\n');
});

test('a wildcard domain adds the one-label-up lookup, only while an app has one', () => {
  assert.doesNotMatch(config('/d'), /regsub\(\^\[\^\.\]\+/);
  const wild: HaproxyApp[] = [...apps, { id: 'ccc', hosts: ['w.localhost', '*.example.org'], maintenance: false, servers: [] }];
  assert.match(config('/d', wild), /use_backend %\[var\(txn\.host\),regsub\(\^\[\^\.\]\+\\\.,\*\.\),map\(\/d\/hosts\.map\)\] if !\{ var\(txn\.host\),map/);
  assert.match(hostsMap(wild), /^\*\.example\.org app-ccc$/m);
});

test('HAProxy accepts the configuration', async () => {
  assert.ok(await haproxyAvailable(), 'haproxy is installed (scripts/install-deps.sh installs it)');
  const dir = await mkdtemp(join(tmpdir(), 'slipway-haproxy-cfg-'));
  try {
    await writeFile(join(dir, 'hosts.map'), hostsMap(apps));
    await writeFile(join(dir, '503.http'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
    await writeFile(join(dir, 'h.cfg'), config(dir));
    const { stdout, stderr } = await promisify(execFile)('haproxy', ['-c', '-f', join(dir, 'h.cfg')]);
    assert.match(stdout + stderr, /Configuration file is valid/);
    const wild = [...apps, { id: 'ccc', hosts: ['*.example.org'], maintenance: false, servers: [] }];
    await writeFile(join(dir, 'w.cfg'), config(dir, wild));
    const checked = await promisify(execFile)('haproxy', ['-c', '-f', join(dir, 'w.cfg')]);
    assert.match(checked.stdout + checked.stderr, /Configuration file is valid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
