// One-off dynos attached to a terminal (`slipway run`): output and exit status come back, stdin goes in,
// a real pseudo-terminal on both ends (ctrl-C reaches the dyno, resizes follow the CLI's window), a conmon
// and no resident runc supervising it, and R13 when nobody attaches.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeRepo, ROOT, SLIPWAY, sleep, TestPlatform } from './helpers/platform.ts';
import { processesNaming } from '../src/runtime/test-helpers.ts';

describe('slipway run', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-run-'));
    await p.start({ SLIPWAY_ATTACH_TIMEOUT: '3' });
    await p.request('POST', '/apps', { name: 'runner' });
    const dir = join(work, 'runner');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'python-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'runner');
    assert.equal(push.code, 0, push.output);
    await p.request('PATCH', '/apps/runner/config-vars', { GREETING: 'from-config' });
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  test('output and exit status come back; the release\'s config is loaded', async () => {
    const r = await p.cli(['run', '-a', 'runner', '--', 'sh', '-c', 'echo "$GREETING in $DYNO at $(pwd)"; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^from-config in run\.\d+ at \/app$/m);
    assert.doesNotMatch(r.stdout, /heroku-command-exit-status/);
    assert.match(r.stderr, /Running `sh -c "echo .*"` attached to terminal\.\.\. up, run\.\d+/);
    assert.match(await p.logs('runner'), /heroku\[run\.\d+\]: Starting process with command `sh -c .*` by user operator@slipway\.local/);
  });

  test('stdin reaches the dyno and its end is the command\'s EOF', async () => {
    const r = await p.cli(['run', '-a', 'runner', 'cat'], { input: 'line one\nline two\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.replace(/\r/g, ''), 'line one\nline two\n');
  });

  test('with a terminal: the dyno gets a pty of our size, and ctrl-C interrupts its foreground job', async () => {
    // util-linux `script` gives the CLI a real pseudo-terminal, as a user's terminal would.
    const cmd = `stty cols 91 rows 37; ${SLIPWAY} run -a runner bash`;
    const term = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, SLIPWAY_HOST: p.api, SLIPWAY_API_KEY: p.key, TERM: 'xterm' } });
    let out = '';
    term.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => term.once('exit', (c) => r(c)));
    const waitFor = async (re: RegExp, seconds = 30) => {
      const deadline = Date.now() + seconds * 1000;
      while (!re.test(out) && Date.now() < deadline) await sleep(100);
      assert.match(out, re);
    };
    try {
      await waitFor(/up, run\.\d+/);
      await sleep(500);
      term.stdin.write('tty; stty size; echo "term=$TERM"\n');
      await waitFor(/\/dev\/pts\/\d+/);
      await waitFor(/37 91/);
      // While the session is open its dyno is supervised by a conmon alone: no `runc` process stays
      // resident for it (the platform's own process list names the container in neither case).
      const dyno = (await p.request('GET', '/apps/runner/dynos')).body.find((d: any) => /^run\.\d+$/.test(d.name) && d.state === 'up');
      assert.ok(dyno, 'the one-off is listed as up');
      const supervisors = (await processesNaming(`dyno-${dyno.id}`)).map((q) => basename(q.argv[0]!));
      assert.deepEqual(supervisors, ['conmon']);
      // Resize the CLI's terminal as a window manager would: the kernel signals SIGWINCH to the CLI, which
      // tells the platform, which resizes the dyno's pty.
      const { execFile } = await import('node:child_process');
      const sh = (cmd: string, args: string[]) => new Promise<string>((r) => execFile(cmd, args, (_e, out) => r(String(out))));
      const cliPid = (await sh('pgrep', ['-f', 'main.ts run -a runner bash'])).trim().split('\n')[0]!;
      const cliTty = (await sh('readlink', [`/proc/${cliPid}/fd/0`])).trim();
      assert.match(cliTty, /^\/dev\/pts\/\d+$/);
      await sh('stty', ['-F', cliTty, 'cols', '120', 'rows', '50']);
      // The resize reaches the dyno through a `runc exec`, which can take seconds on a loaded machine:
      // ask again until it has landed (bounded by waitFor's own limit).
      for (let i = 0; i < 20 && !/50 120/.test(out); i++) {
        await sleep(1000);
        term.stdin.write('stty size\n');
      }
      await waitFor(/50 120/);
      term.stdin.write('sleep 300; echo not-interrupted\n');
      await sleep(1000);
      term.stdin.write('\x03');
      await sleep(500);
      term.stdin.write('echo "after $((40+2))"; exit 5\n');
      await waitFor(/after 42/);
      const code = await exited;
      assert.equal(code, 5);
      assert.doesNotMatch(out, /(^|\n)not-interrupted\r/, "the sleep was interrupted before its echo ran");
    } finally {
      term.kill('SIGKILL');
    }
  });

  test('a one-off nobody attaches to ends with R13', async () => {
    const r = await p.request('POST', '/apps/runner/dynos', { command: 'bash', attach: true });
    assert.equal(r.status, 201);
    assert.match(r.body.attach_url, /^rendezvous:\/\/127\.0\.0\.1:\d+\/[0-9a-f]+$/);
    const name = r.body.name;
    await p.waitForLog('runner', new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Error R13 \\(Attach error\\) -> Failed to attach to process`), 20);
    assert.ok(!(await p.request('GET', '/apps/runner/dynos')).body.some((d: any) => d.name === name), 'the dyno is gone');
  });
});

describe('slipway run: the client hanging up', () => {
  const p = new TestPlatform();
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'slipway-hup-'));
    await p.start({ SLIPWAY_HANGUP_INTERVAL: '1' });
    await p.request('POST', '/apps', { name: 'hangup' });
    const dir = join(work, 'hangup');
    await cp(join(ROOT, 'test', 'fixtures', 'apps', 'python-app'), dir, { recursive: true });
    await makeRepo(dir, {});
    const push = await p.push(dir, 'hangup');
    assert.equal(push.code, 0, push.output);
  });
  after(async () => {
    await p.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** Starts `slipway run` on `script`, waits for its `ready` line, then kills the CLI as a closed laptop would. */
  async function runAndHangUp(script: string): Promise<string> {
    const cli = spawn(SLIPWAY, ['run', '-a', 'hangup', '--', 'bash', '-c', script], {
      env: { ...process.env, SLIPWAY_HOST: p.api, SLIPWAY_API_KEY: p.key }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.stderr.on('data', (d) => (err += d));
    const deadline = Date.now() + 30_000;
    while (!/ready/.test(out) && Date.now() < deadline) await sleep(100);
    assert.match(out, /ready/, err);
    const name = /up, (run\.\d+)/.exec(err)?.[1];
    assert.ok(name, err);
    cli.kill('SIGKILL');
    return name;
  }

  const dynoState = async (name: string) =>
    (await p.request('GET', '/apps/hangup/dynos')).body.find((d: any) => d.name === name)?.state as string | undefined;

  test('a process that exits on SIGHUP ends the one-off', async () => {
    const name = await runAndHangUp('echo ready; sleep 300');
    const tag = name.replace('.', '\\.');
    await p.waitForLog('hangup', new RegExp(`heroku\\[${tag}\\]: Client connection closed\\. Sending SIGHUP to all processes`), 20);
    await p.waitForLog('hangup', new RegExp(`heroku\\[${tag}\\]: State changed from up to complete`), 20);
    // It leaves the list once its container is removed, just after that line (longer on a loaded machine).
    for (let i = 0; i < 50 && (await dynoState(name)) !== undefined; i++) await sleep(200);
    assert.equal(await dynoState(name), undefined, 'the one-off is gone');
    assert.doesNotMatch(await p.logs('hangup'), new RegExp(`heroku\\[${tag}\\]: Error R16`));
  });

  test('a process ignoring SIGHUP gets three notices, then R16, and keeps running', async () => {
    const name = await runAndHangUp("trap '' HUP; echo ready; sleep 300");
    const tag = name.replace('.', '\\.');
    await p.waitForLog('hangup', new RegExp(`heroku\\[${tag}\\]: Error R16 \\(Detached\\) -> An attached process is not responding to SIGHUP after its external connection was closed\\.`), 30);
    const notices = (await p.logs('hangup')).split('\n').filter((l) => l.includes(`heroku[${name}]: Client connection closed. Sending SIGHUP to all processes`));
    assert.equal(notices.length, 3);
    assert.equal(await dynoState(name), 'up', 'the detached process keeps running');
    const stop = await p.request('POST', `/apps/hangup/dynos/${name}/actions/stop`);
    assert.ok(stop.status >= 200 && stop.status < 300, String(stop.status));
    await p.waitForLog('hangup', new RegExp(`heroku\\[${tag}\\]: State changed from up to complete`), 60);
  });
});
