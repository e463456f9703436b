// An app's whole life on one platform: an App Setup from a tarball served on loopback with a full
// app.json (generated secret, add-on, postdeploy output kept) and one with a bad app.json (refused naming
// the field, nothing left behind); a three-stage pipeline made and promoted twice with the official heroku
// CLI, each app serving the same slug with its own config through the router; a sync webhook added
// with the official CLI whose receiver (a real local HTTP server checking the HMAC) refuses the first
// delivery and accepts the retry; Scheduler runs on a test clock; review apps switched on and off with the
// official CLI, made by a branch push, redeployed, destroyed with their branch, and destroyed when stale
// (pr-predestroy first); a promoted slug outliving the app it was built on. Webhook event kinds and a
// push's app.json: lifecycle-events.test.ts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Sqlite from 'better-sqlite3';
import { appFiles } from './helpers/apps.ts';
import { herokuSchemas } from './helpers/heroku-schema.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';
import { until } from './helpers/wait.ts';

const run = promisify(execFile);
const HEROKU_VERSION = '11.10.0';
const CACHE = process.env.SLIPWAY_HEROKU_CLI_CACHE ?? `/var/cache/slipway/heroku-cli-${HEROKU_VERSION}`;
const HEROKU = join(CACHE, 'node_modules', '.bin', 'heroku');

describe('app lifecycle: app.json, App Setups, pipelines, webhooks', () => {
  const p = new TestPlatform();
  let work: string;
  let files: Server;
  let filesUrl: string;
  const heroku = async (args: string[]) => {
    const env = {
      ...process.env, HOME: join(work, 'home'), HEROKU_HOST: `http://localhost:${p.apiPort}`, HEROKU_API_KEY: p.key,
      HEROKU_PARTICLEBOARD_URL: `http://localhost:${p.apiPort}`, DISABLE_TELEMETRY: 'true', HEROKU_SKIP_ANALYTICS: '1',
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', FORCE_COLOR: '0',
    };
    try {
      const r = await run(HEROKU, args, { env, timeout: 180_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };
  /** A source tarball of `tree`, served on loopback; its URL. */
  const tarball = async (name: string, tree: Record<string, string>) => {
    const dir = join(work, 'src', name);
    await mkdir(dir, { recursive: true });
    for (const [f, text] of Object.entries(tree)) await writeFile(join(dir, f), text);
    await run('tar', ['-czf', join(work, 'www', `${name}.tgz`), '-C', dir, '.']);
    return `${filesUrl}/${name}.tgz`;
  };
  const setup = async (body: unknown) => {
    const r = await p.request('POST', '/app-setups', body);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.status, 'pending');
    return until(async () => {
      const s = (await p.request('GET', `/app-setups/${r.body.id}`)).body;
      return s.status !== 'pending' && s;
    }, 600, 'the app setup to end');
  };

  before(async () => {
    if (!existsSync(HEROKU)) {
      await mkdir(CACHE, { recursive: true });
      await run('npm', ['install', '--prefix', CACHE, '--no-audit', '--no-fund', '--loglevel=error', `heroku@${HEROKU_VERSION}`], { timeout: 600_000 });
    }
    work = await mkdtemp(join(tmpdir(), 'slipway-lifecycle-'));
    await mkdir(join(work, 'home'));
    await mkdir(join(work, 'www'));
    files = createServer(async (req, res) => {
      try {
        res.end(await readFile(join(work, 'www', (req.url ?? '').replace(/[^\w.-]/g, ''))));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    // Loopback receivers and tarballs: allowed as an operator would allow them (loopback only). Retries a second apart;
    // a Scheduler minute lasts 2 s (the test clock).
    // Review apps are checked for staleness every second (stale after the default 5 days without a push).
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8', SLIPWAY_WEBHOOK_RETRY_BASE: '1', SLIPWAY_SCHEDULER_MINUTE: '2', SLIPWAY_REVIEW_APP_SWEEP: '1' });
  });
  after(async () => {
    files?.close();
    await p.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('an App Setup makes the app whole from app.json; a bad app.json is refused by field and leaves nothing', async () => {
    const appJson = {
      name: 'lifecycle', success_url: '/welcome',
      env: {
        GREETING: { value: 'hi from app.json' }, SECRET_TOKEN: { generator: 'secret' },
        API_KEY: { description: 'given at setup', required: true },
      },
      addons: [{ plan: 'heroku-redis', as: 'CACHE' }],
      formation: { web: { quantity: 1 } },
      scripts: { postdeploy: 'echo "postdeploy says $GREETING"; echo "cache at ${CACHE_URL%%:*}"; echo "key $API_KEY"' },
    };
    const url = await tarball('good', { ...appFiles('set-up-from-a-tarball'), 'app.json': JSON.stringify(appJson) });
    const done = await setup({ app: { name: 'lc-setup' }, source_blob: { url }, overrides: { env: { API_KEY: 'k-123' } } });
    assert.equal(done.status, 'succeeded', done.failure_message);
    assert.deepEqual(herokuSchemas().check('AppSetup', done), [], "the App Setup validates against Heroku's schema");
    assert.equal(done.app.name, 'lc-setup');
    assert.equal(done.postdeploy.exit_code, 0);
    assert.match(done.postdeploy.output, /postdeploy says hi from app\.json/);
    assert.match(done.postdeploy.output, /cache at redis/, 'the add-on was provisioned before postdeploy ran');
    assert.match(done.postdeploy.output, /key k-123/, 'overrides.env filled the required var');
    assert.equal(done.build.status, 'succeeded');
    assert.match(done.resolved_success_url, /^http:\/\/lc-setup\.localhost:\d+\/welcome$/);
    await p.waitFor('lc-setup', 'set-up-from-a-tarball');
    assert.match((await p.route('lc-setup', '/env/SECRET_TOKEN')).body, /^[0-9a-f]{64}$/);
    assert.equal((await p.request('GET', '/apps/lc-setup/addons')).body[0].addon_service.name, 'heroku-redis');

    const bad = await tarball('bad', { ...appFiles('never-built'), 'app.json': JSON.stringify({ env: { A: { value: 'x', generator: 'secret' } } }) });
    const failed = await setup({ app: { name: 'lc-bad' }, source_blob: { url: bad } });
    assert.equal(failed.status, 'failed');
    assert.match(failed.failure_message, /app\.json env\.A has both "value" and "generator"/);
    assert.match(failed.manifest_errors[0], /env\.A/);
    assert.equal((await p.request('GET', '/apps/lc-bad')).status, 404, 'the failed setup left no app behind');

    const missing = await tarball('missing', { ...appFiles('never-built'), 'app.json': JSON.stringify({ env: { API_KEY: { required: true } }, addons: ['heroku-redis'] }) });
    // Through our CLI's apps:setup: it waits, and fails saying why.
    const refused = await p.cli(['apps:setup', missing, 'lc-missing']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /app\.json env API_KEY is required and has no value/);
    assert.equal((await p.request('GET', '/apps/lc-missing')).status, 404);
    assert.equal((await p.request('GET', '/addons')).body.length, 1, 'no add-on was provisioned for the refused setups');

    // The source URL follows the outbound rule: the metadata address is refused before any packet.
    const metadata = await setup({ app: { name: 'lc-metadata' }, source_blob: { url: 'http://169.254.169.254/latest/app.tgz' } });
    assert.equal(metadata.status, 'failed');
    assert.match(metadata.failure_message, /refusing to connect to 169\.254\.169\.254/);
    assert.equal((await p.request('GET', '/apps/lc-metadata')).status, 404);
    const hook = await p.request('POST', '/apps/lc-setup/webhooks', { include: ['api:release'], level: 'sync', url: 'http://10.1.2.3/hook' });
    assert.equal(hook.status, 422);
    assert.match(hook.body.message, /10\.1\.2\.3 is not reachable for webhooks/);

    const noUrl = await p.request('POST', '/app-setups', { source_blob: {} });
    assert.equal(noUrl.status, 422);
    assert.match(noUrl.body.message, /source_blob\.url is required/);
  });

  test('a three-stage pipeline promoted twice with the official CLI; a sync webhook retried until its receiver takes it', async () => {
    for (const [app, stage] of [['lc-dev', 'development'], ['lc-stg', 'staging'], ['lc-prod', 'production']] as const) {
      assert.equal((await p.request('POST', '/apps', { name: app })).status, 201);
      assert.equal((await p.request('PATCH', `/apps/${app}/config-vars`, { STAGE: stage })).status, 200);
    }
    const dir = join(work, 'lc-dev');
    await mkdir(dir);
    for (const [f, text] of Object.entries(appFiles('promoted-slug'))) await writeFile(join(dir, f), text);
    await makeRepo(dir, {});
    const push = await p.push(dir, 'lc-dev');
    assert.equal(push.code, 0, push.output);
    await p.waitFor('lc-dev', 'promoted-slug');

    const created = await heroku(['pipelines:create', 'lcpipe', '-a', 'lc-dev', '-s', 'development']);
    assert.equal(created.code, 0, created.stderr);
    for (const [app, stage] of [['lc-stg', 'staging'], ['lc-prod', 'production']]) {
      const added = await heroku(['pipelines:add', 'lcpipe', '-a', app!, '-s', stage!]);
      assert.equal(added.code, 0, added.stderr);
    }
    const pipes = await heroku(['pipelines']);
    assert.equal(pipes.code, 0, pipes.stderr);
    assert.match(pipes.stdout, /lcpipe/);
    const info = await heroku(['pipelines:info', 'lcpipe']);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /lc-dev\s+development/);
    assert.match(info.stdout, /lc-prod\s+production/);
    const twice = await heroku(['pipelines:add', 'lcpipe', '-a', 'lc-prod', '-s', 'staging']);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /already in pipeline lcpipe/);

    // The receiver refuses the first delivery (500) and takes the next, checking each signature.
    const got: { body: string; good: boolean }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const want = createHmac('sha256', 'hook-secret').update(body).digest('base64');
        got.push({ body, good: req.headers['heroku-webhook-hmac-sha256'] === want });
        res.writeHead(got.length === 1 ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const add = await heroku(['webhooks:add', '-a', 'lc-prod', '-i', 'api:release', '-l', 'sync', '-u', hookUrl, '-s', 'hook-secret']);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /hook-secret/);
      const listed = await heroku(['webhooks', '-a', 'lc-prod']);
      assert.match(listed.stdout, /api:release\s+sync/);

      const toStaging = await heroku(['pipelines:promote', '-a', 'lc-dev']);
      assert.equal(toStaging.code, 0, toStaging.stderr);
      assert.match(toStaging.stdout, /Promotion successful/);
      await p.waitFor('lc-stg', 'promoted-slug');
      assert.equal((await p.route('lc-stg', '/env/STAGE')).body, 'staging');
      const toProduction = await heroku(['pipelines:promote', '-a', 'lc-stg']);
      assert.equal(toProduction.code, 0, toProduction.stderr);
      await p.waitFor('lc-prod', 'promoted-slug');
      assert.equal((await p.route('lc-prod', '/env/STAGE')).body, 'production');
      const slugOf = async (app: string) => (await p.request('GET', `/apps/${app}/releases`)).body.at(-1).slug.id;
      assert.equal(await slugOf('lc-prod'), await slugOf('lc-dev'), 'the very slug, nothing rebuilt');
      assert.match((await p.request('GET', '/apps/lc-prod/releases')).body.at(-1).description, /^Promote lc-stg v\d+$/);

      await until(async () => got.length >= 2, 60, 'the retried delivery');
      assert.ok(got.every((g) => g.good), 'every attempt is signed with the secret');
      const payload = JSON.parse(got[1]!.body);
      assert.equal(payload.resource, 'release');
      assert.equal(payload.webhook_metadata.event.include, 'api:release');
      assert.equal(payload.data.app.name, 'lc-prod');
      const deliveries = await until(async () => {
        const r = await heroku(['webhooks:deliveries', '-a', 'lc-prod']);
        return /succeeded/.test(r.stdout) && r;
      }, 30, 'the delivery to be recorded as succeeded');
      assert.match(deliveries.stdout, /succeeded\s+api:release\s+sync\s+2\s+200/);
      // The pipeline, webhook and slug answers validate against Heroku's schema (@heroku-cli/schema's types).
      const schemas = herokuSchemas();
      const problems: string[] = [];
      const fetched = async (path: string, type: string, list = false) => {
        const res = await p.request('GET', path);
        assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
        if (list) assert.ok(Array.isArray(res.body) && res.body.length > 0, `${path} lists something to check`);
        problems.push(...schemas.check(type, res.body, list).map((m) => `GET ${path}: ${m}`));
        return res.body;
      };
      const [pipe] = await fetched('/pipelines', 'Pipeline', true);
      await fetched(`/pipelines/${pipe.id}`, 'Pipeline');
      await fetched(`/pipelines/${pipe.id}/pipeline-couplings`, 'PipelineCoupling', true);
      await fetched('/apps/lc-prod/pipeline-couplings', 'PipelineCoupling');
      const [hook] = await fetched('/apps/lc-prod/webhooks', 'AppWebhook', true);
      await fetched(`/apps/lc-prod/webhooks/${hook.id}`, 'AppWebhook');
      const [delivery] = await fetched('/apps/lc-prod/webhook-deliveries', 'AppWebhookDelivery', true);
      await fetched(`/apps/lc-prod/webhook-deliveries/${delivery.id}`, 'AppWebhookDelivery');
      await fetched('/apps/lc-prod/webhook-events', 'AppWebhookEvent', true);
      await fetched(`/apps/lc-dev/slugs/${await slugOf('lc-dev')}`, 'Slug');
      assert.deepEqual(problems, []);
    } finally {
      receiver.close();
    }

    const removed = await heroku(['pipelines:remove', '-a', 'lc-prod']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await p.request('GET', '/apps/lc-prod/pipeline-couplings')).status, 404);
    assert.equal((await heroku(['pipelines:rename', 'lcpipe', 'lcpipe2'])).code, 0);
    const destroyed = await heroku(['pipelines:destroy', 'lcpipe2']);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.equal((await p.request('GET', '/pipelines')).body.length, 0);
    assert.equal((await p.request('GET', '/apps/lc-dev')).status, 200, 'the apps stay');
  });

  test('Scheduler: a job every (test-clock) minute runs as scheduler.N dynos, each stopped after its interval, never two at once', async () => {
    const refused = await p.cli(['scheduler:add', '-a', 'lc-dev', '--every', '1h', 'echo no']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no Scheduler: add it first with addons:create scheduler:standard/);
    const addon = await p.cli(['addons:create', 'scheduler:standard', '-a', 'lc-setup']);
    assert.equal(addon.code, 0, addon.stderr);
    const bad = await p.cli(['scheduler:add', '-a', 'lc-setup', '--every', '5m', 'echo no']);
    assert.match(bad.stderr, /--every "5m" is not a frequency: use 10m, 1h or 1d/);
    const added = await p.cli(['scheduler:add', '-a', 'lc-setup', '--cron', '* * * * *', 'echo "scheduled run on $DYNO with $GREETING"; sleep 600']);
    assert.equal(added.code, 0, added.stderr);
    const listed = await p.cli(['scheduler', '-a', 'lc-setup']);
    assert.match(listed.stdout, /cron \* \* \* \* \*/);
    // For ~24 s (12 test minutes): never two runs at once, though each would sleep for ten minutes.
    let most = 0;
    const end = Date.now() + 24_000;
    while (Date.now() < end) {
      const dynos = (await p.request('GET', '/apps/lc-setup/dynos')).body as { type: string; state: string }[];
      most = Math.max(most, dynos.filter((d) => d.type === 'scheduler' && !['complete', 'crashed', 'down'].includes(d.state)).length);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(most, 1, 'one run at a time');
    const log = await p.logs('lc-setup', { lines: 1500 });
    const runs = new Set([...log.matchAll(/scheduled run on (scheduler\.\d+) with hi from app\.json/g)].map((m) => m[1]));
    assert.ok(runs.size >= 2, `several runs, each a scheduler.N dyno with the app's config:\n${log.slice(-2000)}`);
    assert.match(log, /Stopping scheduler\.\d+: it ran for its interval/);
    const id = (await p.request('GET', '/apps/lc-setup/scheduler/jobs')).body[0].id as string;
    const updated = await p.cli(['scheduler:update', id.slice(0, 8), '-a', 'lc-setup', '--every', '1d', '--at', '03:30']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /every 1d at 03:30/);
    assert.equal((await p.cli(['scheduler:remove', id.slice(0, 8), '-a', 'lc-setup'])).code, 0);
    assert.deepEqual((await p.request('GET', '/apps/lc-setup/scheduler/jobs')).body, []);
  });

  test('review apps: a branch pushed to the staging app gets its own app from app.json, redeployed per push, destroyed with its branch', async () => {
    assert.equal((await p.request('POST', '/apps', { name: 'rv-stg' })).status, 201);
    const pipe = (await p.request('POST', '/pipelines', { name: 'rvp' })).body;
    assert.equal((await p.request('POST', '/pipeline-couplings', { app: 'rv-stg', pipeline: pipe.id, stage: 'staging' })).status, 201);
    const appJson = JSON.stringify({
      env: { MODE: { value: 'production' } },
      environments: { review: { env: { MODE: 'review' } } },
      scripts: { postdeploy: 'echo "seeded the review app"', 'pr-predestroy': 'echo "predestroy ran on $DYNO"' },
    });
    const dir = join(work, 'rv');
    await makeRepo(dir, { ...appFiles('review-v1'), 'app.json': appJson });
    const off = await p.push(dir, 'rv-stg', { ref: 'HEAD:refs/heads/feature/login' });
    assert.equal(off.code, 0, off.output);
    assert.match(off.output, /Pushed to non-deploy branch feature\/login; nothing was built/, 'review apps are off: the branch is only stored');
    // The official CLI switches review apps on and off (and back on) and sets their settings.
    const official = await heroku(['reviewapps:enable', '-p', 'rvp']);
    assert.equal(official.code, 0, official.stderr);
    assert.equal((await p.request('GET', `/pipelines/${pipe.id}/review-app-config`)).body.automatic_review_apps, true);
    const disabled = await heroku(['reviewapps:disable', '-p', 'rvp']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal((await p.request('GET', `/pipelines/${pipe.id}/review-app-config`)).status, 404, 'review apps are off');
    const enabled = await heroku(['reviewapps:enable', '-p', 'rvp']);
    assert.equal(enabled.code, 0, enabled.stderr);
    const autodestroy = await heroku(['reviewapps:enable', '-p', 'rvp', '--autodestroy']);
    assert.equal(autodestroy.code, 0, autodestroy.stderr);
    assert.match(autodestroy.stdout, /Enabling auto destroy/);
    assert.equal((await p.request('GET', `/pipelines/${pipe.id}/review-app-config`)).body.destroy_stale_apps, true);

    await makeRepo(dir, { 'notes.txt': 'a change\n' }, 'second');
    const created = await p.push(dir, 'rv-stg', { ref: 'HEAD:refs/heads/feature/login' });
    assert.equal(created.code, 0, created.output);
    assert.match(created.output, /Creating review app rvp-feature-login for branch feature\/login/);
    assert.match(created.output, /seeded the review app/);
    assert.match(created.output, /Review app: http:\/\/rvp-feature-login\.localhost:\d+\//);
    await p.waitFor('rvp-feature-login', 'review-v1');
    assert.equal((await p.route('rvp-feature-login', '/env/MODE')).body, 'review', 'environments.review applied');
    const couplings = (await p.request('GET', `/pipelines/${pipe.id}/pipeline-couplings`)).body as { stage: string; app: { name: string } }[];
    assert.ok(couplings.some((c) => c.stage === 'review' && c.app.name === 'rvp-feature-login'));

    await makeRepo(dir, appFiles('review-v2'), 'v2');
    const redeployed = await p.push(dir, 'rv-stg', { ref: 'HEAD:refs/heads/feature/login' });
    assert.equal(redeployed.code, 0, redeployed.output);
    assert.match(redeployed.output, /Redeploying review app rvp-feature-login/);
    await p.waitFor('rvp-feature-login', 'review-v2');

    const gone = await p.push(dir, 'rv-stg', { ref: ':refs/heads/feature/login' });
    assert.equal(gone.code, 0, gone.output);
    assert.match(gone.output, /predestroy ran on predestroy\.\d+/);
    assert.match(gone.output, /Destroyed review app rvp-feature-login/);
    assert.equal((await p.request('GET', '/apps/rvp-feature-login')).status, 404);

    // A review app without a push for longer than the stale period (5 days) is destroyed, pr-predestroy
    // first. The test moves its last push back in the store (the clock), and the platform's own sweep
    // (every second here) decides: 4 days old it stays, 6 days old it goes.
    const old = await p.push(dir, 'rv-stg', { ref: 'HEAD:refs/heads/old-idea' });
    assert.equal(old.code, 0, old.output);
    await p.waitFor('rvp-old-idea', 'review-v2');
    const age = (days: number) => {
      const db = new Sqlite(join(p.dataDir, 'slipway.db'), { fileMustExist: true, timeout: 10_000 });
      try {
        db.prepare('UPDATE review_apps SET last_push_at = ? WHERE branch = ?').run(new Date(Date.now() - days * 86_400_000).toISOString(), 'old-idea');
      } finally {
        db.close();
      }
    };
    age(4);
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal((await p.request('GET', '/apps/rvp-old-idea')).status, 200, 'four days without a push: not stale yet');
    assert.doesNotMatch(p.output, /destroying a stale review app/);
    age(6);
    await until(async () => (await p.request('GET', '/apps/rvp-old-idea')).status === 404, 120, 'the stale review app to be destroyed');
    assert.match(p.output, /destroying a stale review app/);
    assert.match(p.output, /pr-predestroy exited with 0:[\s\S]*predestroy ran on predestroy\.\d+/, 'pr-predestroy ran before the app went');
    const left = (await p.request('GET', `/pipelines/${pipe.id}/pipeline-couplings`)).body as { app: { name: string } }[];
    assert.ok(!left.some((c) => c.app.name === 'rvp-old-idea'), 'its coupling went with it');
  });

  test('a promoted slug outlives its source app: the target restarts, scales, rolls back and downloads it', async () => {
    const releases = async () => (await p.request('GET', '/apps/lc-prod/releases')).body as { id: string; version: number; slug: { id: string } | null }[];
    const promoted = (await releases()).at(-1)!;
    assert.ok(promoted.slug);
    const before = (await p.request('GET', `/apps/lc-prod/slugs/${promoted.slug.id}`)).body;
    assert.equal((await p.request('DELETE', '/apps/lc-dev')).status, 200, 'the app the slug was built on is destroyed');
    assert.equal((await p.request('GET', '/apps/lc-dev')).status, 404);

    // The slug downloads, whole (its checksum).
    const slug = await p.request('GET', `/apps/lc-prod/slugs/${promoted.slug.id}`);
    assert.equal(slug.status, 200, JSON.stringify(slug.body));
    assert.equal(slug.body.checksum, before.checksum);
    const blob = await fetch(slug.body.blob.url);
    assert.equal(blob.status, 200);
    const bytes = Buffer.from(await blob.arrayBuffer());
    assert.equal(`SHA256:${createHash('sha256').update(bytes).digest('hex')}`, slug.body.checksum);

    // Restarted and scaled: new dynos boot from it.
    const dynoIds = async () => ((await p.request('GET', '/apps/lc-prod/dynos')).body as { id: string; type: string; state: string }[]).filter((d) => d.type === 'web');
    const first = await dynoIds();
    assert.equal((await p.request('DELETE', '/apps/lc-prod/dynos')).status, 200);
    await until(async () => { const now = await dynoIds(); return now.some((d) => d.state === 'up' && !first.some((f) => f.id === d.id)); }, 90, 'a restarted web dyno up');
    assert.equal((await p.request('PATCH', '/apps/lc-prod/formation', { updates: [{ type: 'web', quantity: 2 }] })).status, 200);
    await until(async () => (await dynoIds()).filter((d) => d.state === 'up').length === 2, 90, 'two web dynos up');
    assert.equal((await p.route('lc-prod', '/env/STAGE')).body, 'production');

    // A config change, then a rollback to the promoted release: the same slug again.
    assert.equal((await p.request('PATCH', '/apps/lc-prod/config-vars', { STAGE: 'changed' })).status, 200);
    await until(async () => (await p.route('lc-prod', '/env/STAGE', { fresh: true })).body === 'changed', 90, 'the config change live');
    const rolled = await p.request('POST', '/apps/lc-prod/releases', { release: promoted.id });
    assert.equal(rolled.status, 201, JSON.stringify(rolled.body));
    assert.equal(rolled.body.slug.id, promoted.slug.id);
    await until(async () => (await p.route('lc-prod', '/env/STAGE', { fresh: true })).body === 'production', 90, 'the rollback live');
    await p.request('PATCH', '/apps/lc-prod/formation', { updates: [{ type: 'web', quantity: 1 }] });
  });
});
