// Issue #11, points 1 to 3, on a real platform: accounts that log in with a password, apps that belong
// to someone, and every door checking. The route walk takes the API's routes from the server's own route
// table (registerRoutes, as the server registers them), so a route added later is walked too: each is
// asked with a second account's token, naming the first account's app and things, and must answer
// nothing of theirs and change nothing. Then collaborators, teams and transfers as users use them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createHttpApi } from '../src/api/http.ts';
import { registerRoutes } from '../src/api/server.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';

const run = promisify(execFile);
const HEROKU = join(process.env.SLIPWAY_HEROKU_CLI_CACHE ?? '/var/cache/slipway/heroku-cli-11.10.0', 'node_modules', '.bin', 'heroku');
const PASSWORD = 'correct horse battery staple';

/** Every route the API serves, from Fastify's own table as the server builds it. */
async function routeTable(): Promise<{ method: string; url: string }[]> {
  const routes: { method: string; url: string }[] = [];
  const api = await createHttpApi({ authenticate: async () => undefined, onInternalError: () => undefined });
  api.addHook('onRoute', (r) => { for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url }); });
  registerRoutes(api, {} as never);
  await api.ready();
  await api.close();
  return routes;
}

describe('teams: accounts, owners and every door', () => {
  const p = new TestPlatform();
  const r = Math.random().toString(36).slice(2, 7);
  const apps = { alice: `alice-${r}`, bob: `bob-${r}` };
  const team = `team-${r}`;
  const tokens: Record<string, string> = {};
  const emails = { alice: `alice-${r}@example.com`, bob: `bob-${r}@example.com`, carol: `carol-${r}@example.com` };
  let work: string;
  const as = (who: string, method: string, path: string, body?: unknown) => p.request(method, path, body, { Authorization: `Bearer ${tokens[who]}` });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-teams-'));
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32' });
    for (const [who, email] of Object.entries(emails)) {
      assert.equal((await p.request('POST', '/accounts', { email, password: PASSWORD })).status, 201);
      const login = await p.request('POST', '/oauth/authorizations', { description: 'test' }, { Authorization: `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString('base64')}` });
      assert.equal(login.status, 201, JSON.stringify(login.body));
      tokens[who] = login.body.access_token.token;
    }
  });
  after(async () => {
    await p.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('a wrong password is 401, a bad token 401; the official login answer carries access_token.token', async () => {
    const bad = await p.request('POST', '/oauth/authorizations', {}, { Authorization: `Basic ${Buffer.from(`${emails.bob}:wrong`).toString('base64')}` });
    assert.deepEqual([bad.status, bad.body.id], [401, 'unauthorized']);
    assert.equal((await p.request('GET', '/account', undefined, { Authorization: 'Bearer HRKU-not-a-key' })).status, 401);
    const me = await as('bob', 'GET', '/account');
    assert.equal(me.body.email, emails.bob);
    assert.ok(Number(me.headers.get('ratelimit-remaining')) > 0);
  });

  test('a second account walks every route with the first one\'s app and things: nothing of theirs answers, nothing changes', async () => {
    // Alice's app and what hangs off it.
    const app = (await as('alice', 'POST', '/apps', { name: apps.alice })).body;
    assert.equal(app.owner.email, emails.alice);
    const secret = `s3cret-${r}-${Math.random().toString(36).slice(2)}`;
    assert.equal((await as('alice', 'PATCH', `/apps/${apps.alice}/config-vars`, { SECRET: secret })).status, 200);
    const made = async (path: string, body: unknown) => {
      const res = await as('alice', 'POST', path, body);
      assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const domain = await made(`/apps/${apps.alice}/domains`, { hostname: `www.${r}.example.test` });
    const drain = await made(`/apps/${apps.alice}/log-drains`, { url: `https://127.0.0.1:9/${r}` });
    const slug = await made(`/apps/${apps.alice}/slugs`, { process_types: { web: 'node index.js' } });
    const addon = await made(`/apps/${apps.alice}/addons`, { plan: 'heroku-redis' });
    const attachment = (await as('alice', 'GET', `/apps/${apps.alice}/addon-attachments`)).body[0];
    const auth = (await as('alice', 'GET', '/oauth/authorizations')).body[0];
    const redisUrl = (await as('alice', 'GET', `/apps/${apps.alice}/config-vars`)).body.REDIS_URL as string;
    assert.ok(redisUrl);
    const t = (await as('alice', 'POST', '/teams', { name: team })).body;
    assert.equal((await as('alice', 'PUT', `/teams/${team}/members`, { email: emails.carol, role: 'member' })).status, 200);
    const release = (await as('alice', 'GET', `/apps/${apps.alice}/releases`)).body.at(-1);
    const pipe = await made('/pipelines', { name: `pipe-${r}` });
    const coupling = await made('/pipeline-couplings', { app: apps.alice, pipeline: pipe.id, stage: 'staging' });
    assert.equal((await as('bob', 'POST', '/apps', { name: apps.bob })).status, 201);

    // What Alice sees, to compare after the walk.
    const views = [
      `/apps/${apps.alice}`, `/apps/${apps.alice}/config-vars`, `/apps/${apps.alice}/collaborators`, `/apps/${apps.alice}/domains`,
      `/apps/${apps.alice}/log-drains`, `/apps/${apps.alice}/formation`, `/apps/${apps.alice}/addons`, `/apps/${apps.alice}/addon-attachments`,
      `/apps/${apps.alice}/releases`, `/apps/${apps.alice}/features`, `/apps/${apps.alice}/sni-endpoints`, `/apps/${apps.alice}/buildpack-installations`,
      `/teams/${team}/members`, '/oauth/authorizations', '/account', `/apps/${apps.alice}/slugs/${slug.id}`,
      `/pipelines/${pipe.id}`, `/pipelines/${pipe.id}/pipeline-couplings`,
    ];
    const snapshot = async () => {
      const out: Record<string, unknown> = {};
      for (const v of views) {
        const res = await as('alice', 'GET', v);
        // A slug's blob URL is signed afresh on each answer.
        out[v] = JSON.stringify(res.body).replace(/expires=\d+&signature=[^"]+/g, '');
      }
      return out;
    };
    const before = await snapshot();

    // Things of Alice's Bob must never see (he does not send them: they are not in his requests).
    const markers = [app.id, apps.alice, secret, redisUrl.split('@')[0]!, domain.hostname, domain.id, drain.id, drain.token, slug.id, addon.id, addon.name,
      attachment.id, auth.id, t.id, team, emails.alice, emails.carol, release?.id, pipe.id, pipe.name, coupling.id].filter(Boolean) as string[];
    const values = (route: string, param: string, appName: string): string => {
      switch (param) {
        case 'app': return appName;
        case 'release': return String(release?.version ?? 1);
        case 'dyno': return 'web.1';
        case 'type': return 'web';
        case 'feature': return 'preboot';
        case 'domain': return domain.hostname;
        case 'drain': return drain.id;
        case 'name': return 'b001';
        case 'collaborator': return emails.alice;
        case 'team': return team;
        case 'member': return emails.carol;
        case 'account': return emails.alice;
        case 'cred': return 'default';
        case 'plan': return 'mini';
        default:
          if (route.includes('/slugs/')) return slug.id;
          if (route.includes('/oauth/')) return auth.id;
          if (route.includes('addon-attachments/')) return attachment.id;
          if (route.startsWith('/pipeline-couplings/')) return coupling.id;
          if (route.startsWith('/pipelines/')) return pipe.id;
          if (route.includes('addon-services') || route.startsWith('/plans')) return 'heroku-redis';
          return addon.name;
      }
    };
    const bodies: Record<string, unknown> = {
      'PATCH /apps/:app/config-vars': { STOLEN: '1', SECRET: 'overwritten' },
      'PATCH /apps/:app': { name: `stolen-${r}`, maintenance: true },
      'POST /apps/:app/collaborators': { user: emails.bob },
      'POST /teams/apps/:app/collaborators': { user: emails.bob },
      'PATCH /teams/apps/:app': { owner: emails.bob },
      'POST /account/app-transfers': { app: apps.alice, recipient: emails.bob },
      'PUT /teams/:team/members': { email: emails.bob, role: 'admin' },
      'PATCH /teams/:team/members': { email: emails.bob, role: 'admin' },
      'PATCH /accounts/:account': { disabled: true },
      'POST /accounts': { email: `eve-${r}@example.com`, password: PASSWORD },
      'POST /addon-attachments': { addon: addon.name, app: apps.bob },
      'POST /actions/addons/resolve': { addon: addon.name },
      'POST /actions/addon-attachments/resolve': { addon_attachment: attachment.name, app: apps.alice },
      'POST /apps/:app/releases': { slug: slug.id },
      'PATCH /apps/:app/formation': { updates: [{ type: 'web', quantity: 0 }] },
      'PATCH /apps/:app/formation/:type': { quantity: 0 },
      'POST /apps/:app/domains': { hostname: `stolen.${r}.example.test` },
      'PATCH /apps/:app/domains/:domain': { sni_endpoint: null },
      'PATCH /apps/:app/features/:feature': { enabled: true },
      'POST /apps/:app/log-sessions': { lines: 10 },
      'POST /apps/:app/dynos': { command: 'true' },
      'POST /apps/:app/log-drains': { url: 'https://127.0.0.1:9/stolen' },
      'PATCH /oauth/authorizations/:id': { description: 'stolen' },
      'POST /teams/apps': { name: `bob-team-${r}`, team },
      'POST /apps': { name: `bob-in-team-${r}`, team },
      'PUT /apps/:app/buildpack-installations': { updates: [{ buildpack: 'https://example.test/bp.tgz' }] },
      'PATCH /apps/:app/addons/:id': { plan: 'heroku-redis:premium-0' },
      'PATCH /pipelines/:id': { name: `stolen-${r}` },
      'POST /pipeline-couplings': { app: apps.bob, pipeline: pipe.id, stage: 'production' },
      'PATCH /pipeline-couplings/:id': { stage: 'review' },
      'POST /pipeline-promotions': { pipeline: { id: pipe.id }, source: { app: { id: app.id } } },
      'POST /filters/apps': { in: { id: [app.id] } },
    };
    const routes = await routeTable();
    assert.ok(routes.length > 100, `the route table has ${routes.length} routes`);
    // Destroying Bob's own app comes last, so the rest of the walk has it.
    routes.sort((a, b) => Number(a.method === 'DELETE' && a.url === '/apps/:app') - Number(b.method === 'DELETE' && b.url === '/apps/:app'));
    let walked = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      // Each route naming an app twice: Alice's app, then Bob's own app with Alice's things in the other params.
      for (const appName of route.url.includes(':app') ? [apps.alice, apps.bob] : [apps.bob]) {
        const path = route.url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values(route.url, name, appName)));
        const body = route.method === 'GET' ? undefined : bodies[key] ?? {};
        const res = await as('bob', route.method, path, body);
        walked++;
        const sent = decodeURIComponent(path) + JSON.stringify(body ?? '');
        const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
        assert.ok(res.status < 500, `${key} as ${path} answered ${res.status}: ${text}`);
        for (const m of markers) if (!sent.includes(m)) assert.ok(!text.includes(m), `${route.method} ${path} answered Bob with Alice's ${m}: ${text.slice(0, 300)}`);
        if (appName === apps.alice) {
          assert.equal(res.status, 404, `${route.method} ${path} let Bob at Alice's app: ${res.status} ${text.slice(0, 300)}`);
          assert.equal(res.body.message, "Couldn't find that app.");
        }
      }
    }
    assert.ok(walked > 150);
    assert.deepEqual(await snapshot(), before, "nothing of Alice's changed");
    assert.equal((await p.request('POST', '/oauth/authorizations', {}, { Authorization: `Basic ${Buffer.from(`${emails.alice}:${PASSWORD}`).toString('base64')}` })).status, 201, 'Alice still logs in');

    // Git over HTTP: Bob's token opens his own app's repository, not Alice's; nor can he push to it.
    // (The walk ended by destroying Bob's app: he makes another.)
    assert.equal((await as('bob', 'POST', '/apps', { name: apps.bob })).status, 201);
    const ls = (appName: string, key: string) => run('git', ['ls-remote', p.gitUrl(appName, key)], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    await ls(apps.bob, tokens.bob!);
    await assert.rejects(ls(apps.alice, tokens.bob!), /not found|404/i);
    await ls(apps.alice, tokens.alice!);
    const repo = join(work, 'push');
    await makeRepo(repo, { 'index.js': 'console.log(1)\n' });
    const push = await p.push(repo, apps.alice, { key: tokens.bob });
    assert.notEqual(push.code, 0);
    assert.match(push.output, /not found|404/i);
    assert.equal((await as('alice', 'GET', `/apps/${apps.alice}/builds`)).body.length, 0, 'no build started');
    // A revoked token, a bad one and a disabled account's are refused by git as by the API.
    const extra = (await as('alice', 'POST', '/oauth/authorizations', { description: 'ci' })).body;
    await ls(apps.alice, extra.access_token.token);
    assert.equal((await as('alice', 'DELETE', `/oauth/authorizations/${extra.id}`)).status, 200);
    await assert.rejects(ls(apps.alice, extra.access_token.token), /Authentication failed|401/i);
    await assert.rejects(ls(apps.alice, 'HRKU-made-up'), /Authentication failed|401/i);
    assert.equal((await p.request('PATCH', `/accounts/${emails.alice}`, { disabled: true })).status, 200);
    await assert.rejects(ls(apps.alice, tokens.alice!), /Authentication failed|401/i);
    assert.equal((await as('alice', 'GET', '/account')).status, 401);
    assert.equal((await p.request('PATCH', `/accounts/${emails.alice}`, { disabled: false })).status, 200);
    await ls(apps.alice, tokens.alice!);
  });

  test('collaborators, teams and transfers through the slipway CLI; the operator reaches every app, and that is logged', async () => {
    const cli = (who: string, args: string[]) => p.cli(args, { env: { SLIPWAY_API_KEY: tokens[who]! } });
    const ok = async (who: string, args: string[]) => {
      const res = await cli(who, args);
      assert.equal(res.code, 0, `${who}: slipway ${args.join(' ')}: ${res.stderr}`);
      return res.stdout;
    };
    const refused = async (who: string, args: string[], why: RegExp) => {
      const res = await cli(who, args);
      assert.notEqual(res.code, 0, `${who}: slipway ${args.join(' ')} should have failed: ${res.stdout}`);
      assert.match(res.stderr, why);
    };
    const shared = `shared-${r}`;
    await ok('alice', ['apps:create', shared, '--no-remote']);
    await refused('bob', ['apps:info', '-a', shared], /Couldn't find that app/);
    await ok('alice', ['access:add', emails.bob, '-a', shared]);
    const access = await ok('bob', ['access', '-a', shared]);
    assert.match(access, new RegExp(`${emails.alice}\\s+owner`));
    assert.match(access, new RegExp(`${emails.bob}\\s+collaborator`));
    await ok('bob', ['config:set', 'FROM_BOB=1', '-a', shared]);
    // A collaborator uses the app but does not decide who owns or reaches it.
    await refused('bob', ['apps:destroy', '-a', shared, '--confirm', shared], /Only the owner/);
    await refused('bob', ['access:add', emails.carol, '-a', shared], /Only the owner/);
    await refused('bob', ['apps:rename', `taken-${r}`, '-a', shared], /Only the owner/);
    await ok('alice', ['apps:rename', `${shared}-2`, '-a', shared]);
    await ok('bob', ['apps:info', '-a', `${shared}-2`]);
    await ok('bob', ['access:remove', emails.bob, '-a', `${shared}-2`]);
    await refused('bob', ['apps:info', '-a', `${shared}-2`], /Couldn't find that app/);

    // A team: its admin adds a member, who makes a team app; the app's owner is the team's address.
    const crew = `crew-${r}`;
    await ok('alice', ['teams:create', crew]);
    await ok('alice', ['members:add', emails.carol, '--team', crew, '--role', 'member']);
    assert.match(await ok('carol', ['teams']), new RegExp(`${crew}\\s+member`));
    assert.match(await ok('alice', ['members', '--team', crew]), new RegExp(`${emails.carol}\\s+member`));
    await refused('carol', ['members:add', emails.bob, '--team', crew, '--role', 'admin'], /Only an admin/);
    const crewApp = `crewapp-${r}`;
    await ok('carol', ['apps:create', crewApp, '--team', crew, '--no-remote']);
    assert.equal((await as('carol', 'GET', `/apps/${crewApp}`)).body.owner.email, `${crew}@herokumanager.com`);
    assert.match(await ok('alice', ['apps', '--team', crew]), new RegExp(crewApp));
    await refused('bob', ['apps', '--team', crew], /Couldn't find that team/);
    await refused('bob', ['apps:info', '-a', crewApp], /Couldn't find that app/);
    await refused('carol', ['apps:destroy', '-a', crewApp, '--confirm', crewApp], /Only the owner of .* or an admin of its team/);
    // The team admin gives it to Bob: Bob owns it, Carol no longer reaches it.
    await ok('alice', ['apps:transfer', emails.bob, '-a', crewApp, '--confirm', crewApp]);
    assert.equal((await as('bob', 'GET', `/apps/${crewApp}`)).body.owner.email, emails.bob);
    assert.equal((await as('carol', 'GET', `/apps/${crewApp}`)).status, 404);
    await refused('bob', ['apps:transfer', crew, '-a', crewApp], /Couldn't find that team/);
    // Bob gives it to a person: Carol owns it, Bob stays on as a collaborator (as on Heroku).
    await ok('bob', ['apps:transfer', emails.carol, '-a', crewApp]);
    const after = await as('carol', 'GET', `/apps/${crewApp}/collaborators`);
    assert.deepEqual(after.body.map((c: { user: { email: string }; role: string }) => `${c.user.email}:${c.role}`).sort(), [`${emails.bob}:collaborator`, `${emails.carol}:owner`].sort());

    // The operator reaches every app, and the platform log says so.
    assert.equal((await p.request('GET', `/apps/${crewApp}`)).status, 200);
    assert.match(p.output, new RegExp(`the operator acts on an app it does not own.*${crewApp}|${crewApp}.*the operator acts on an app it does not own`));

    // slipway login with an email and password (piped), saved for the next commands.
    const home = join(work, 'home-carol');
    await mkdir(home);
    const env = { HOME: home, SLIPWAY_API_KEY: '' };
    const login = await p.cli(['login', '--email', emails.carol], { env, input: `${PASSWORD}\n` });
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, new RegExp(`Logged in as ${emails.carol}`));
    assert.equal((await p.cli(['auth:whoami'], { env })).stdout.trim(), emails.carol);
    const wrong = await p.cli(['login', '--email', emails.carol], { env, input: 'not the password\n' });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Invalid email or password/);
  });

  // The official CLI's requests for the same things (test/heroku-cli.test.ts installs it where it is missing).
  test('the official heroku CLI: access, teams, members, team apps, transfers and authorizations', { skip: !existsSync(HEROKU) && 'the heroku CLI is not installed' }, async () => {
    const home = join(work, 'home-hk');
    await mkdir(home);
    const heroku = async (who: string, args: string[]) => {
      const env = {
        ...process.env, HOME: home, HEROKU_HOST: `http://localhost:${p.apiPort}`, HEROKU_API_KEY: tokens[who]!,
        HEROKU_PARTICLEBOARD_URL: `http://localhost:${p.apiPort}`, DISABLE_TELEMETRY: 'true', HEROKU_SKIP_ANALYTICS: '1',
        HEROKU_SKIP_NEW_VERSION_CHECK: 'true', HEROKU_DISABLE_AUTOUPDATE: '1', NO_COLOR: '1', FORCE_COLOR: '0',
      };
      try {
        const res = await run(HEROKU, args, { env, timeout: 90_000 });
        return res.stdout + res.stderr;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        assert.fail(`heroku ${args.join(' ')} as ${who} failed: ${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
    };
    const hk = `hk-${r}`;
    const squad = `squad-${r}`;
    await heroku('alice', ['apps:create', hk, '--no-remote']);
    await heroku('alice', ['access:add', emails.bob, '-a', hk]);
    const access = await heroku('bob', ['access', '-a', hk]);
    assert.match(access, new RegExp(`${emails.alice}\\s+owner`));
    assert.match(access, new RegExp(`${emails.bob}\\s+collaborator`));
    assert.match(await heroku('bob', ['apps']), new RegExp(`Collaborated Apps[\\s\\S]*${hk}\\s+${emails.alice}`));
    assert.equal((await as('alice', 'POST', '/teams', { name: squad })).status, 201);
    await heroku('alice', ['members:add', emails.carol, '--team', squad, '--role', 'member']);
    assert.match(await heroku('alice', ['members', '--team', squad]), new RegExp(`${emails.carol}\\s+member`));
    assert.match(await heroku('carol', ['teams']), new RegExp(`${squad}\\s+member`));
    const teamApp = `hkteam-${r}`;
    await heroku('carol', ['apps:create', teamApp, '--team', squad, '--no-remote']);
    assert.match(await heroku('carol', ['apps', '--team', squad]), new RegExp(teamApp));
    const teamAccess = await heroku('alice', ['access', '-a', teamApp]);
    assert.match(teamAccess, new RegExp(`${emails.carol}\\s+member`));
    assert.match(teamAccess, new RegExp(`${emails.alice}\\s+admin`));
    await heroku('alice', ['apps:transfer', squad, '-a', hk]);
    assert.equal((await as('carol', 'GET', `/apps/${hk}`)).body.owner.email, `${squad}@herokumanager.com`);
    await heroku('alice', ['members:remove', emails.carol, '--team', squad]);
    assert.equal((await as('carol', 'GET', `/apps/${teamApp}`)).status, 404);
    assert.match(await heroku('bob', ['auth:whoami']), new RegExp(emails.bob));
    const created = await heroku('bob', ['authorizations:create', '-d', 'hk-test']);
    const token = /Token:\s+(\S+)/.exec(created)?.[1];
    assert.ok(token, created);
    assert.equal((await p.request('GET', '/account', undefined, { Authorization: `Bearer ${token}` })).body.email, emails.bob);
    assert.match(await heroku('bob', ['authorizations']), /hk-test/);
  });
});
