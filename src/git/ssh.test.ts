// git over SSH with OpenSSH's real client against the server in-process: registered keys get git and
// nothing else; unknown keys, other users, shells, ptys, forwarding and apps the account may not reach
// are refused. (The push itself, through the platform's hook, is in test/heroku-git.test.ts.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import ssh2 from 'ssh2';
import { parsePublicKey } from '../accounts/keys.ts';
import { Repos } from './repos.ts';
import { GitSsh, parseGitCommand } from './ssh.ts';

const run = promisify(execFile);

test('parseGitCommand reads the forms git and the heroku CLI remotes send, and nothing else', () => {
  assert.deepEqual(parseGitCommand("git-receive-pack '/demo.git'"), { service: 'receive-pack', app: 'demo' });
  assert.deepEqual(parseGitCommand("git-upload-pack 'demo.git'"), { service: 'upload-pack', app: 'demo' });
  assert.deepEqual(parseGitCommand("git-receive-pack '5000:demo.git'"), { service: 'receive-pack', app: 'demo' });
  assert.deepEqual(parseGitCommand('git upload-pack demo'), { service: 'upload-pack', app: 'demo' });
  for (const bad of ['sh', 'ls /', "git-receive-pack '../x.git'", "git-receive-pack 'demo.git'; sh", "git-receive-pack '/repos/demo.git'",
    "git-upload-archive 'demo.git'", "git-receive-pack 'demo.git' --upload-pack=sh", '']) {
    assert.equal(parseGitCommand(bad), undefined, bad);
  }
});

describe('the git SSH server', () => {
  let dir: string;
  let ssh: GitSsh;
  const apps = new Map([['open', { id: 'app-open', name: 'open' }], ['closed', { id: 'app-closed', name: 'closed' }]]);
  let registered: string;

  const sshArgs = (key: string) => ['-i', key, '-p', String(ssh.port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR'];
  const sh = async (file: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    try {
      const r = await run(file, args, { env: { ...process.env, ...env }, timeout: 30_000 });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof err.code === 'number' ? err.code : 1, out: (err.stdout ?? '') + (err.stderr ?? '') };
    }
  };
  const gitWith = (key: string, args: string[]) => sh('git', args, { GIT_SSH_COMMAND: `ssh ${sshArgs(key).join(' ')}`, GIT_TERMINAL_PROMPT: '0' });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-gitssh-'));
    const repos = new Repos(join(dir, 'repos'));
    for (const a of apps.values()) await repos.create(a.id);
    for (const name of ['registered', 'stranger']) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
    registered = join(dir, 'registered');
    const known = parsePublicKey(await readFile(`${registered}.pub`, 'utf8'));
    const user = { id: 'acct-1', email: 'dev@example.com' };
    ssh = new GitSsh({
      port: 0, dir: join(dir, 'ssh'), repos, host: '127.0.0.1',
      keyOwner: async (type, blob) => (type === known.type && blob.equals(known.blob) ? user : undefined),
      findApp: async (name) => apps.get(name), mayAccess: async (_u, app) => app.name === 'open',
      pushes: new Map(), hookUrl: 'http://127.0.0.1:9/unused',
    });
    await ssh.listen();
  });
  after(async () => {
    await ssh?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a registered key reaches an app it may access, over git', async () => {
    const r = await gitWith(registered, ['ls-remote', `ssh://git@127.0.0.1:${ssh.port}/open.git`]);
    assert.equal(r.code, 0, r.out);
    // The heroku CLI's remote form with a port in the path works too.
    const work = join(dir, 'clone');
    const c = await gitWith(registered, ['clone', '-q', `ssh://git@127.0.0.1:${ssh.port}/5000:open.git`, work]);
    assert.equal(c.code, 0, c.out);
  });

  test('an app the account may not reach is answered as missing; an unknown app too', async () => {
    const r = await gitWith(registered, ['ls-remote', `ssh://git@127.0.0.1:${ssh.port}/closed.git`]);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /Couldn't find that app: closed/);
    const none = await gitWith(registered, ['ls-remote', `ssh://git@127.0.0.1:${ssh.port}/nosuchapp.git`]);
    assert.match(none.out, /Couldn't find that app: nosuchapp/);
  });

  test('a key no account has is refused at login, and so is any user but git', async () => {
    const r = await gitWith(join(dir, 'stranger'), ['ls-remote', `ssh://git@127.0.0.1:${ssh.port}/open.git`]);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /Permission denied \(publickey\)/);
    const root = await gitWith(registered, ['ls-remote', `ssh://root@127.0.0.1:${ssh.port}/open.git`]);
    assert.match(root.out, /Permission denied \(publickey\)/);
  });

  test('shells, commands, ptys and port forwarding are refused; the server goes on serving', async () => {
    const shell = await sh('ssh', [...sshArgs(registered), 'git@127.0.0.1']);
    assert.equal(shell.code, 1);
    assert.match(shell.out, /git over SSH only: no shell/);
    const cmd = await sh('ssh', [...sshArgs(registered), 'git@127.0.0.1', 'cat /etc/passwd; sh -i']);
    assert.equal(cmd.code, 1);
    assert.match(cmd.out, /no shell/);
    assert.doesNotMatch(cmd.out, /root:/);
    const pty = await sh('ssh', [...sshArgs(registered), '-tt', 'git@127.0.0.1', 'bash']);
    assert.notEqual(pty.code, 0);
    assert.match(pty.out, /PTY allocation request failed/);
    const injected = await sh('ssh', [...sshArgs(registered), 'git@127.0.0.1', "git-upload-pack 'open.git'; id"]);
    assert.match(injected.out, /no shell/);
    const forward = await sh('ssh', [...sshArgs(registered), '-N', '-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:22', 'git@127.0.0.1']);
    assert.notEqual(forward.code, 0);
    assert.match(forward.out, /forwarding failed/i);
    const local = await sh('ssh', [...sshArgs(registered), '-o', 'ExitOnForwardFailure=yes', '-W', '127.0.0.1:22', 'git@127.0.0.1']);
    assert.notEqual(local.code, 0);
    const still = await gitWith(registered, ['ls-remote', `ssh://git@127.0.0.1:${ssh.port}/open.git`]);
    assert.equal(still.code, 0, still.out);
  });

  test('the host key is kept across restarts', async () => {
    const first = await readFile(join(dir, 'ssh', 'host_ed25519'), 'utf8');
    const again = new GitSsh({ port: 0, dir: join(dir, 'ssh'), repos: new Repos(dir), keyOwner: async () => undefined, findApp: async () => undefined, mayAccess: async () => false, pushes: new Map(), hookUrl: '' });
    await again.listen();
    await again.close();
    assert.equal(await readFile(join(dir, 'ssh', 'host_ed25519'), 'utf8'), first);
  });

  test('a saved host key ssh2 cannot read (as one saved before keys were checked) is made again, and the server starts', async () => {
    // ssh2's own generator makes such a key about once in 256: drawn here until one comes (bounded).
    let bad: string | undefined;
    for (let i = 0; i < 20_000 && !bad; i++) {
      const pair = ssh2.utils.generateKeyPairSync('ed25519');
      if (ssh2.utils.parseKey(pair.private) instanceof Error) bad = pair.private;
    }
    assert.ok(bad, 'ssh2 made no unreadable key in 20,000 tries');
    const keyDir = join(dir, 'ssh-bad');
    await mkdir(keyDir, { mode: 0o700 });
    await writeFile(join(keyDir, 'host_ed25519'), bad, { mode: 0o600 });
    const server = new GitSsh({ port: 0, dir: keyDir, host: '127.0.0.1', repos: new Repos(dir), keyOwner: async () => undefined, findApp: async () => undefined, mayAccess: async () => false, pushes: new Map(), hookUrl: '' });
    await server.listen();
    try {
      const now = await readFile(join(keyDir, 'host_ed25519'), 'utf8');
      assert.notEqual(now, bad);
      assert.ok(!(ssh2.utils.parseKey(now) instanceof Error));
      // A real client gets the new key from the server.
      const scan = await sh('ssh-keyscan', ['-t', 'ed25519', '-p', String(server.port), '127.0.0.1']);
      assert.match(scan.out, /ssh-ed25519 AAAA/);
    } finally {
      await server.close();
    }
  });
});
