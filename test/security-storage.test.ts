// Issue #9, storage and secrets, as an attacker and a user meet them on a real platform:
// - housekeeping (a 1 s grace, one release kept) never removes a Postgres backup's dump, nor the slug
//   and unpacked tree of the release an app runs after newer failed and pending releases; the restore
//   works and the dynos restart; a backup whose dump is gone anyway answers a clear error;
// - a copy of the database shows no add-on password, TLS private key, drain credential or config var;
// - no process holds the operator key in its environment (add-on servers, HAProxy, dynos, anything
//   the platform spawned, nor the platform, which receives it on a pipe);
// - changing SLIPWAY_OPERATOR_EMAIL makes the old operator key answer 401 (and keeping the old key with
//   the new email is refused at start);
// - a data dir made by the version before encryption of these values still works after the upgrade.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { appFiles } from './helpers/apps.ts';
import { makeRepo, ROOT, sleep, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);

async function psql(url: string, sql: string): Promise<string> {
  const r = await run('psql', [url, '-X', '-qAtc', sql], { timeout: 30_000, env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
  return r.stdout.trim();
}

async function selfSigned(work: string, host: string): Promise<{ cert: string; key: string }> {
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${host}`,
    '-addext', `subjectAltName=DNS:${host}`, '-keyout', join(work, `${host}.key`), '-out', join(work, `${host}.crt`)]);
  return { cert: await readFile(join(work, `${host}.crt`), 'utf8'), key: await readFile(join(work, `${host}.key`), 'utf8') };
}

/** The database file and its WAL, as a copy of the data dir's database would hold them. */
async function databaseBytes(dataDir: string): Promise<string> {
  const parts = await Promise.all(['slipway.db', 'slipway.db-wal'].map((f) => readFile(join(dataDir, f)).catch(() => Buffer.alloc(0))));
  return Buffer.concat(parts).toString('latin1');
}

/** A middle line of a PEM key: what a copy of the database would reveal of it. */
const keyLine = (pem: string) => pem.trim().split('\n').slice(1, -1)[5]!;

/** Every process on the machine whose environment holds `needle`: `pid command line`. */
async function processesHolding(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((f) => /^\d+$/.test(f))) {
    const env = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (env.includes(needle)) found.push(`${pid} ${(await readFile(`/proc/${pid}/cmdline`, 'latin1').catch(() => '')).replace(/\0/g, ' ')}`);
  }
  return found;
}

describe('security: storage and secrets', () => {
  const p = new TestPlatform();
  let work: string;
  let pending: ChildProcess | undefined;
  const secrets: Record<string, string> = {};

  /** A new commit on the app's repo (one history per app, so each push is a fast-forward). */
  const commit = (app: string, token: string, release?: string) => makeRepo(join(work, app), appFiles(token, release), token);
  const push = async (app: string, token: string, release?: string) => {
    await commit(app, token, release);
    return p.push(join(work, app), app);
  };
  const releases = async (app: string) => (await p.request('GET', `/apps/${app}/releases`)).body as { id: string; version: number; status: string; slug: { id: string } | null }[];
  const blobOf = async (app: string, slugId: string) => ((await p.request('GET', `/apps/${app}/slugs/${slugId}`)).body as { checksum: string }).checksum.replace(/^SHA256:/, '');
  const alive = async () => {
    assert.equal((await p.request('GET', '/apps')).status, 200, 'the API answers');
    await p.waitFor('steady', 'steady-v1', '/', 60);
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-storage-'));
    await p.start({ SLIPWAY_SLUG_GRACE: '1', SLIPWAY_RELEASES_KEPT: '1', SLIPWAY_STOP_GRACE: '2', SLIPWAY_ALLOW_PRIVATE_TARGETS: '1' });
    for (const name of ['keeper', 'steady']) assert.equal((await p.request('POST', '/apps', { name })).status, 201);
  });
  after(async () => {
    if (pending?.exitCode === null) pending.kill('SIGKILL');
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('housekeeping keeps backups and the live release; a lost dump is a clear error', async () => {
    assert.equal((await push('steady', 'steady-v1')).code, 0);
    assert.equal((await push('keeper', 'keeper-v1')).code, 0);
    await p.waitFor('steady', 'steady-v1');
    // A Postgres database with a row, and a backup of it.
    const made = await p.request('POST', '/apps/keeper/addons', { plan: 'heroku-postgresql' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const url = ((await p.request('GET', '/apps/keeper/config-vars')).body as Record<string, string>).DATABASE_URL!;
    await psql(url, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('first')");
    const backup = await p.request('POST', '/apps/keeper/pg-backups', {});
    assert.equal(backup.status, 201, JSON.stringify(backup.body));
    assert.equal(backup.body.status, 'succeeded', JSON.stringify(backup.body));
    await psql(url, "UPDATE notes SET body = 'second'");
    // Two config changes, as in the report.
    for (const v of ['1', '2']) assert.equal((await p.request('PATCH', '/apps/keeper/config-vars', { CHANGE: v })).status, 200);

    // steady: newer releases that never went live (three failed, one pending) after its live v1.
    for (const n of [2, 3, 4]) assert.notEqual((await push('steady', `steady-v${n}`, 'exit 1')).code, 0, 'a failing release command declines the push');
    await commit('steady', 'steady-v5', 'sleep 600');
    pending = spawn('git', ['push', p.gitUrl('steady'), 'HEAD:main'], { cwd: join(work, 'steady'), stdio: 'ignore', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    for (let i = 0; i < 240 && !(await releases('steady')).some((r) => r.status === 'pending'); i++) await sleep(500);
    const list = await releases('steady');
    assert.deepEqual(list.map((r) => r.status), ['succeeded', 'failed', 'failed', 'failed', 'pending']);
    const liveBlob = await blobOf('steady', list[0]!.slug!.id);
    const failedBlobs = await Promise.all(list.slice(1, 4).map((r) => blobOf('steady', r.slug!.id)));

    // A new deploy of keeper goes live: housekeeping runs after it, past the grace period of everything above.
    await sleep(1500);
    const from = p.output.length;
    assert.equal((await push('keeper', 'keeper-v2')).code, 0);
    for (let i = 0; i < 120 && !/housekeeping: removed/.test(p.output.slice(from)); i++) await sleep(500);
    assert.match(p.output.slice(from), /housekeeping: removed \d+ slugs?/, 'housekeeping ran and removed what nothing needs');
    for (const b of failedBlobs) assert.equal(existsSync(join(p.dataDir, 'blobs', 'sha256', b)), false, 'failed releases\' slugs beyond the newest are removed');

    // The live release's slug and unpacked tree are still there, and its dynos restart on them.
    assert.ok(existsSync(join(p.dataDir, 'blobs', 'sha256', liveBlob)), 'the live release\'s slug is kept');
    assert.ok(existsSync(join(p.dataDir, 'slugs', liveBlob)), 'the live release\'s unpacked tree is kept');
    const before = (await p.logs('steady')).split('\n').filter((l) => /Starting process/.test(l)).length;
    assert.equal((await p.request('DELETE', '/apps/steady/dynos')).status, 200);
    for (let i = 0; i < 120; i++) {
      if ((await p.logs('steady')).split('\n').filter((l) => /Starting process/.test(l)).length > before) break;
      await sleep(500);
    }
    assert.ok((await p.logs('steady')).split('\n').filter((l) => /Starting process/.test(l)).length > before, 'the web dyno restarted');
    await p.waitFor('steady', 'steady-v1');

    // The backup outlived housekeeping: the restore brings the first row back.
    const restored = await p.request('POST', '/apps/keeper/pg-backups/b001/actions/restore', {});
    assert.equal(restored.status, 201, JSON.stringify(restored.body));
    assert.equal(restored.body.status, 'succeeded', JSON.stringify(restored.body));
    assert.equal(await psql(url, 'SELECT body FROM notes'), 'first');

    // A dump lost anyway (a disk restored from elsewhere): a clear answer, and the platform serves on.
    const second = await p.request('POST', '/apps/keeper/pg-backups', {});
    assert.equal(second.body.status, 'succeeded');
    const dumps = (await run('sqlite3', [join(p.dataDir, 'slipway.db'), "SELECT blob FROM addon_backups WHERE kind = 'b' AND num = 2"])).stdout.trim();
    await rm(join(p.dataDir, 'blobs', 'sha256', dumps));
    const lost = await p.request('POST', '/apps/keeper/pg-backups/b002/actions/restore', {});
    assert.equal(lost.status, 422);
    assert.match(lost.body.message, /b002's dump is no longer stored/);
    await alive();
    secrets.pgPassword = new URL(url).password;
  });

  test('a copy of the database shows no password, private key, drain credential or config value', async () => {
    secrets.config = `cfg-secret-${Math.random().toString(36).slice(2)}`;
    assert.equal((await p.request('PATCH', '/apps/keeper/config-vars', { API_TOKEN: secrets.config })).status, 200);
    secrets.drain = `drain-secret-${Math.random().toString(36).slice(2)}`;
    const drain = await p.request('POST', '/apps/keeper/log-drains', { url: `https://logs:${secrets.drain}@127.0.0.1:9/drain` });
    assert.equal(drain.status, 201, JSON.stringify(drain.body));
    const { cert, key } = await selfSigned(work, 'secure.example.test');
    const endpoint = await p.request('POST', '/apps/keeper/sni-endpoints', { certificate_chain: cert, private_key: key });
    assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
    secrets.tlsKey = keyLine(key);
    // The user still sees what they stored.
    assert.equal(((await p.request('GET', '/apps/keeper/config-vars')).body as Record<string, string>).API_TOKEN, secrets.config);
    assert.match(JSON.stringify((await p.request('GET', '/apps/keeper/log-drains')).body), new RegExp(secrets.drain));
    const db = await databaseBytes(p.dataDir);
    for (const [what, value] of Object.entries(secrets)) assert.ok(!db.includes(value), `the database holds the ${what} in clear`);
    await alive();
  });

  test('no process holds the operator key in its environment', async () => {
    const pgPid = Number((await run('sh', ['-c', `cat ${join(p.dataDir, 'addons', 'postgresql')}/*/data/postmaster.pid | head -1`])).stdout.trim());
    assert.ok(pgPid > 1, 'the Postgres server runs');
    assert.ok(!(await readFile(`/proc/${pgPid}/environ`, 'latin1')).includes('SLIPWAY_OPERATOR_KEY'), 'the add-on server has no operator key');
    // Whatever the platform started (HAProxy, add-on servers, dynos, the TypeScript loader's helper), and
    // the platform itself (the key reaches it on a pipe): none holds it.
    assert.deepEqual(await processesHolding(p.key), []);
  });

  test('a new operator email retires the old operator key', async () => {
    const oldKey = p.key;
    const asKey = (key: string) => p.request('GET', '/apps', undefined, { Authorization: `Bearer ${key}` });
    // Keeping the old key with the new email would leave it working: refused at start, saying why.
    await assert.rejects(p.restart({ SLIPWAY_OPERATOR_EMAIL: 'new-operator@example.test' }), /SLIPWAY_OPERATOR_KEY is still the previous operator's key/);
    const newKey = `new-key-${Math.random().toString(36).slice(2)}`;
    await p.restart({ SLIPWAY_OPERATOR_EMAIL: 'new-operator@example.test', SLIPWAY_OPERATOR_KEY: newKey });
    assert.match(p.output, /previous operator key no longer works/);
    assert.equal((await asKey(oldKey)).status, 401, 'the old operator key is refused');
    const apps = await asKey(newKey);
    assert.equal(apps.status, 200);
    assert.deepEqual((apps.body as { name: string }[]).map((a) => a.name).sort(), ['keeper', 'steady'], 'the operator keeps the apps');
    assert.equal(((await p.request('GET', '/apps/keeper/config-vars', undefined, { Authorization: `Bearer ${newKey}` })).body as Record<string, string>).API_TOKEN, secrets.config);
  });
});

/** The last version that stored add-on credentials, TLS keys and drain URLs in clear. */
const BEFORE = '08698bb';

describe('security: a data dir from before secrets were encrypted', () => {
  const p = new TestPlatform();
  let old: string;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-sec-upgrade-'));
    old = join(work, 'old');
    await run('sh', ['-c', `mkdir -p "${old}" && git -C "${ROOT}" archive ${BEFORE} | tar -x -C "${old}"`]);
    await symlink(join(ROOT, 'node_modules'), join(old, 'node_modules'));
    p.bin = join(old, 'bin', 'slipway');
    await p.start({ SLIPWAY_STOP_GRACE: '2', SLIPWAY_ALLOW_PRIVATE_TARGETS: '1' });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('config vars, add-ons, certificates and drains stored by it work after the upgrade, no longer in clear', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'legacy' })).status, 201);
    assert.equal((await p.request('PATCH', '/apps/legacy/config-vars', { KEPT: 'kept-value' })).status, 200);
    const redis = await p.request('POST', '/apps/legacy/addons', { plan: 'heroku-redis' });
    assert.equal(redis.status, 201, JSON.stringify(redis.body));
    const redisUrl = ((await p.request('GET', '/apps/legacy/config-vars')).body as Record<string, string>).REDIS_URL!;
    const drainUrl = 'https://logs:old-drain-pw@127.0.0.1:9/drain';
    assert.equal((await p.request('POST', '/apps/legacy/log-drains', { url: drainUrl })).status, 201);
    const { cert, key } = await selfSigned(work, 'legacy.example.test');
    assert.equal((await p.request('POST', '/apps/legacy/sni-endpoints', { certificate_chain: cert, private_key: key })).status, 201);
    assert.ok((await databaseBytes(p.dataDir)).includes(new URL(redisUrl).password), 'the old version stored the add-on password in clear');

    p.bin = join(ROOT, 'bin', 'slipway');
    await p.restart();
    assert.match(p.output, /Encrypted \d+ stored secrets/);
    assert.equal(((await p.request('GET', '/apps/legacy/config-vars')).body as Record<string, string>).KEPT, 'kept-value');
    const info = await p.request('GET', `/redis/v0/databases/${redis.body.name}`);
    assert.equal(info.status, 200, `the add-on server came back with its stored credentials: ${JSON.stringify(info.body)}`);
    assert.deepEqual(((await p.request('GET', '/apps/legacy/log-drains')).body as { url: string }[]).map((d) => d.url), [drainUrl]);
    const endpoints = (await p.request('GET', '/apps/legacy/sni-endpoints')).body as { ssl_cert: { cert_domains: string[] } }[];
    assert.deepEqual(endpoints.map((e) => e.ssl_cert.cert_domains), [['legacy.example.test']]);
    const db = await databaseBytes(p.dataDir);
    for (const value of [new URL(redisUrl).password, 'old-drain-pw', keyLine(key), 'kept-value']) assert.ok(!db.includes(value), `the upgraded database still holds ${value} in clear`);
    // The operator key of the old data dir still works (the same email, the same key).
    assert.equal((await p.request('GET', '/apps')).status, 200);
  });
});
