// Issue #11, points 1 to 3, on a real platform: accounts that log in with a password, apps that belong
// to someone, and every door checking. The route walk takes the API's routes from the server's own route
// table (registerRoutes, as the server registers them), so a route added later is walked too: each is
// asked with a second account's token, naming the first account's app and things, and must answer
// nothing of theirs and change nothing. Then collaborators, teams and transfers as users use them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { HEROKU, herokuEnv, installHerokuCli, loginInteractive, runIn } from './helpers/heroku.ts';
import { herokuSchemas } from './helpers/heroku-schema.ts';
import { makeRepo, TestPlatform } from './helpers/platform.ts';
import { routeTable, walkInputs } from './helpers/route-walk.ts';

const run = promisify(execFile);
const PASSWORD = 'correct horse battery staple';
const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('teams: accounts, owners and every door', () => {
  const p = new TestPlatform();
  const r = Math.random().toString(36).slice(2, 7);
  const apps = { alice: `alice-${r}`, bob: `bob-${r}` };
  const team = `team-${r}`;
  const tokens: Record<string, string> = {};
  const emails = { alice: `alice-${r}@example.com`, bob: `bob-${r}@example.com`, carol: `carol-${r}@example.com` };
  let work: string;
  const as = (who: string, method: string, path: string, body?: unknown) => p.request(method, path, body, { Authorization: `Bearer ${tokens[who]}` });
  /** The official CLI as `who` (HEROKU_API_KEY), or with `home`'s saved login when `who` is undefined. */
  const hk = (who: string | undefined, args: string[], home = join(work, 'home-hk')) =>
    runIn(HEROKU, args, { env: herokuEnv(p, home, { HEROKU_API_KEY: who ? tokens[who]! : '', HEROKU_DATA_HOST: 'localhost' }) });

  before(async () => {
    await installHerokuCli();
    work = await mkdtemp(join(tmpdir(), 'slipway-teams-'));
    await mkdir(join(work, 'home-hk'));
    await p.start({ SLIPWAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', SLIPWAY_TEAMS_PER_ACCOUNT: '5' });
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
    const { values, bodies } = walkInputs({ r, password: PASSWORD, apps, emails, team, app, release, domain, drain, slug, auth, attachment, addon, pipe, coupling });
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
    // slipway logout revokes the token it saved.
    const saved = /password (\S+)/.exec(await readFile(join(home, '.netrc'), 'utf8'))![1]!;
    assert.equal((await p.cli(['logout'], { env })).code, 0);
    assert.equal((await p.request('GET', '/account', undefined, { Authorization: `Bearer ${saved}` })).status, 401);

    // The operator's accounts commands; nobody else may use them.
    const frank = `frank-${r}@example.com`;
    const made = await p.cli(['accounts:create', frank]);
    assert.equal(made.code, 0, made.stderr);
    const generated = new RegExp(`Password for ${frank} \\(shown once\\): (\\S+)`).exec(made.stdout)?.[1];
    assert.ok(generated, made.stdout);
    assert.equal((await p.request('POST', '/oauth/authorizations', {}, basic(frank, generated))).status, 201);
    assert.match((await p.cli(['accounts'])).stdout, new RegExp(`${frank}\\s+enabled`));
    assert.equal((await p.cli(['accounts:disable', frank])).code, 0);
    assert.match((await p.cli(['accounts'])).stdout, new RegExp(`${frank}\\s+disabled`));
    assert.equal((await p.request('POST', '/oauth/authorizations', {}, basic(frank, generated))).status, 401);
    await refused('bob', ['accounts:create', `eve-${r}@example.com`], /Only the operator/);
  });

  test('the official heroku CLI: access, teams, members, team apps, transfers and authorizations', async () => {
    const heroku = async (who: string, args: string[]) => {
      const res = await hk(who, args);
      assert.equal(res.code, 0, `heroku ${args.join(' ')} as ${who} failed: ${res.stdout}${res.stderr}`);
      return res.stdout + res.stderr;
    };
    const hkApp = `hk-${r}`;
    const squad = `squad-${r}`;
    await heroku('alice', ['apps:create', hkApp, '--no-remote']);
    await heroku('alice', ['access:add', emails.bob, '-a', hkApp]);
    const access = await heroku('bob', ['access', '-a', hkApp]);
    assert.match(access, new RegExp(`${emails.alice}\\s+owner`));
    assert.match(access, new RegExp(`${emails.bob}\\s+collaborator`));
    assert.match(await heroku('bob', ['apps']), new RegExp(`Collaborated Apps[\\s\\S]*${hkApp}\\s+${emails.alice}`));
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
    await heroku('alice', ['apps:transfer', squad, '-a', hkApp]);
    assert.equal((await as('carol', 'GET', `/apps/${hkApp}`)).body.owner.email, `${squad}@herokumanager.com`);
    await heroku('alice', ['members:remove', emails.carol, '--team', squad]);
    assert.equal((await as('carol', 'GET', `/apps/${teamApp}`)).status, 404);
    assert.match(await heroku('bob', ['auth:whoami']), new RegExp(emails.bob));
    const created = await heroku('bob', ['authorizations:create', '-d', 'hk-test']);
    const token = /Token:\s+(\S+)/.exec(created)?.[1];
    assert.ok(token, created);
    assert.equal((await p.request('GET', '/account', undefined, { Authorization: `Bearer ${token}` })).body.email, emails.bob);
    assert.match(await heroku('bob', ['authorizations']), /hk-test/);
    // Its own commands: info, update, rotate (the old token stops), revoke (the new one stops); auth:token.
    const status = async (key: string) => (await p.request('GET', '/account', undefined, { Authorization: `Bearer ${key}` })).status;
    const authId = (await as('bob', 'GET', '/oauth/authorizations')).body.find((a: { description: string }) => a.description === 'hk-test').id as string;
    assert.match(await heroku('bob', ['authorizations:info', authId]), /Description:\s+hk-test/);
    assert.match(await heroku('bob', ['authorizations:update', authId, '-d', 'hk-renamed']), /Description:\s+hk-renamed/);
    const rotated = /Token:\s+(\S+)/.exec(await heroku('bob', ['authorizations:rotate', authId]))?.[1];
    assert.ok(rotated && rotated !== token);
    assert.deepEqual([await status(token), await status(rotated)], [401, 200]);
    assert.match(await heroku('bob', ['authorizations:revoke', authId]), /revoked authorization from hk-renamed/);
    assert.equal(await status(rotated), 401);
    assert.equal((await hk('bob', ['auth:token'])).stdout.trim(), tokens.bob);
  });

  test('heroku logout revokes the token it logged in with; pg:credentials and pg:credentials:url answer members of the app only', async () => {
    // Bob logs in with `heroku login -i`, which keeps the token in ~/.netrc; `heroku logout` must end it.
    const home = join(work, 'home-logout');
    await mkdir(home);
    const env = herokuEnv(p, home, { HEROKU_API_KEY: '' });
    const wrong = await loginInteractive(env, emails.bob, 'not his password');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /Invalid credentials provided/);
    const login = await loginInteractive(env, emails.bob, PASSWORD);
    assert.equal(login.code, 0, login.stdout);
    assert.match(login.stdout, new RegExp(`Logged in as ${emails.bob}`));
    const token = /password (\S+)/.exec(await readFile(join(home, '.netrc'), 'utf8'))![1]!;
    const whoami = await hk(undefined, ['auth:whoami'], home);
    assert.equal(whoami.stdout.trim(), emails.bob, whoami.stderr);
    const logout = await hk(undefined, ['logout'], home);
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal((await p.request('GET', '/account', undefined, { Authorization: `Bearer ${token}` })).status, 401, 'the logged-out token is refused');
    assert.doesNotMatch(await readFile(join(home, '.netrc'), 'utf8').catch(() => ''), new RegExp(token));
    assert.equal((await as('bob', 'GET', '/account')).status, 200, "Bob's other login keeps working");
    const after = await hk(undefined, ['auth:whoami'], home);
    assert.notEqual(after.code, 0);

    // A Postgres database of Alice's: its credential through Heroku's data API paths, as the CLI reads them.
    const pgApp = `pg-${r}`;
    assert.equal((await as('alice', 'POST', '/apps', { name: pgApp })).status, 201);
    const pg = await as('alice', 'POST', `/apps/${pgApp}/addons`, { plan: 'heroku-postgresql' });
    assert.equal(pg.status, 201, JSON.stringify(pg.body));
    const dbUrl = (await as('alice', 'GET', `/apps/${pgApp}/config-vars`)).body.DATABASE_URL as string;
    const password = decodeURIComponent(new URL(dbUrl).password);
    const creds = await hk('alice', ['pg:credentials', '-a', pgApp]);
    assert.equal(creds.code, 0, creds.stderr);
    assert.match(creds.stdout, /Credential\s+State/);
    assert.match(creds.stdout, /default[\s\S]*active/);
    assert.ok(!creds.stdout.includes(password), 'the listing shows no password');
    const url = await hk('alice', ['pg:credentials:url', '-a', pgApp]);
    assert.equal(url.code, 0, url.stderr);
    assert.match(url.stdout, /Connection information for default credential\./);
    assert.ok(url.stdout.includes(`password=${password} sslmode=require`), url.stdout);
    assert.ok(url.stdout.includes(dbUrl), `${url.stdout} shows ${dbUrl}`);
    // Bob is not on the app: the CLI and the data API path (by add-on id or name) tell him nothing.
    const refused = await hk('bob', ['pg:credentials:url', '-a', pgApp]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Couldn't find that app/);
    for (const path of [`/postgres/v0/databases/${pg.body.id}/credentials`, `/postgres/v0/databases/${pg.body.name}/credentials/default`]) {
      const res = await p.request('GET', path, undefined, basic('', tokens.bob!));
      assert.equal(res.status, 404, `${path}: ${JSON.stringify(res.body)}`);
      assert.ok(!JSON.stringify(res.body).includes(password));
    }
    // Made a collaborator, he reads it.
    assert.equal((await as('alice', 'POST', `/apps/${pgApp}/collaborators`, { user: emails.bob })).status, 201);
    const his = await hk('bob', ['pg:credentials:url', '-a', pgApp]);
    assert.equal(his.code, 0, his.stderr);
    assert.ok(his.stdout.includes(dbUrl));
  });

  test("the add-on and teams answers validate against Heroku's schema; team creation stops at the account's limit", async () => {
    const schemas = herokuSchemas();
    const problems: string[] = [];
    const check = (what: string, type: string, body: unknown, list = false) => {
      if (list) assert.ok(Array.isArray(body) && body.length > 0, `${what} lists something to check: ${JSON.stringify(body)}`);
      problems.push(...schemas.check(type, body, list).map((m) => `${what}: ${m}`));
    };
    const got = async (path: string, type: string, list = false) => {
      const res = await as('alice', 'GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      check(`GET ${path}`, type, res.body, list);
      return res.body;
    };
    const pgApp = `pg-${r}`;
    const addons = await got(`/apps/${pgApp}/addons`, 'AddOn', true);
    await got(`/addons/${addons[0].id}`, 'AddOn');
    const attachments = await got(`/apps/${pgApp}/addon-attachments`, 'AddOnAttachment', true);
    await got(`/addon-attachments/${attachments[0].id}`, 'AddOnAttachment');
    await got(`/addons/${addons[0].id}/addon-attachments`, 'AddOnAttachment', true);
    await got('/addon-services', 'AddOnService', true);
    await got('/addon-services/heroku-postgresql', 'AddOnService');
    await got('/addon-services/heroku-postgresql/plans', 'Plan', true);
    await got('/plans/heroku-postgresql:essential-0', 'Plan');
    await got(`/apps/${pgApp}/collaborators`, 'Collaborator', true);
    await got(`/apps/${pgApp}/collaborators/${emails.bob}`, 'Collaborator');
    const collab = await as('alice', 'POST', `/apps/${pgApp}/collaborators`, { user: emails.carol });
    check('POST collaborators', 'Collaborator', collab.body);
    await got('/oauth/authorizations', 'OAuthAuthorization', true);
    check('POST /oauth/authorizations', 'OAuthAuthorization', (await as('alice', 'POST', '/oauth/authorizations', { description: 'schema' })).body);

    // Alice has made three teams in this file; the platform runs with SLIPWAY_TEAMS_PER_ACCOUNT=5.
    const made = await as('alice', 'POST', '/teams', { name: `schema-${r}` });
    assert.equal(made.status, 201);
    check('POST /teams', 'Team', made.body);
    const member = await as('alice', 'PUT', `/teams/schema-${r}/members`, { email: emails.carol, role: 'member' });
    check('PUT members', 'TeamMember', member.body);
    assert.equal((await as('alice', 'POST', '/teams/apps', { name: `schema-app-${r}`, team: `schema-${r}` })).status, 201);
    await got('/teams', 'Team', true);
    await got(`/teams/schema-${r}`, 'Team');
    await got(`/teams/schema-${r}/members`, 'TeamMember', true);
    await got(`/teams/schema-${r}/apps`, 'App', true);
    check('DELETE member', 'TeamMember', (await as('alice', 'DELETE', `/teams/schema-${r}/members/${emails.carol}`)).body);
    assert.equal((await as('alice', 'POST', '/teams', { name: `fifth-${r}` })).status, 201);
    const sixth = await as('alice', 'POST', '/teams', { name: `sixth-${r}` });
    assert.deepEqual([sixth.status, sixth.body.id], [422, 'invalid_params']);
    assert.match(sixth.body.message, /You have made 5 teams, the most one account may \(SLIPWAY_TEAMS_PER_ACCOUNT\)/);
    // A team with an app is kept; an empty one is deleted by its admin and frees the place.
    assert.equal((await as('alice', 'DELETE', `/teams/schema-${r}`)).status, 422);
    assert.equal((await as('carol', 'DELETE', `/teams/fifth-${r}`)).status, 404, 'not a member: no such team');
    const gone = await as('alice', 'DELETE', `/teams/fifth-${r}`);
    assert.equal(gone.status, 200);
    check('DELETE /teams', 'Team', gone.body);
    assert.equal((await as('alice', 'POST', '/teams', { name: `sixth-${r}` })).status, 201);
    assert.deepEqual(problems, [], "answers that are not Heroku's shape");
  });

  test('a refused login and spent API calls stay so across a restart of the platform', async () => {
    const dave = `dave-${r}@example.com`;
    assert.equal((await p.request('POST', '/accounts', { email: dave, password: PASSWORD })).status, 201);
    const daveToken = (await p.request('POST', '/oauth/authorizations', {}, basic(dave, PASSWORD))).body.access_token.token as string;
    // Spend 450 calls: the bucket refills 75 a minute, so it is not full again for minutes.
    for (let i = 0; i < 450; i++) await p.request('GET', '/account', undefined, { Authorization: `Bearer ${daveToken}` });
    const left = Number((await p.request('GET', '/account/rate-limits', undefined, { Authorization: `Bearer ${daveToken}` })).body.remaining);
    assert.ok(left <= 4300, `${left} left`);
    // Ten wrong passwords side by side: slowed, then refused; then even the right one is refused.
    const tries = await Promise.all(Array.from({ length: 10 }, () => p.request('POST', '/oauth/authorizations', {}, basic(dave, 'wrong password'))));
    assert.ok(tries.every((t) => t.status === 401 || t.status === 429), JSON.stringify(tries.map((t) => t.status)));
    assert.equal((await p.request('POST', '/oauth/authorizations', {}, basic(dave, PASSWORD))).status, 429);
    await p.restart();
    const again = await p.request('POST', '/oauth/authorizations', {}, basic(dave, PASSWORD));
    assert.deepEqual([again.status, again.body.id], [429, 'rate_limit'], 'still refused after the restart');
    assert.match(again.body.message, /Too many failed logins/);
    const after = Number((await p.request('GET', '/account/rate-limits', undefined, { Authorization: `Bearer ${daveToken}` })).body.remaining);
    assert.ok(after < 4500, `${after} left after the restart (${left} before): the spent calls stay spent`);
    assert.equal((await p.request('GET', '/account', undefined, { Authorization: `Bearer ${daveToken}` })).status, 200, 'his token still works');
  });
});
