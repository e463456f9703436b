// Per-app bare repositories under the data dir, named by app id (so a rename keeps the history).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class Repos {
  constructor(private readonly dir: string) {}

  path(appId: string): string {
    return join(this.dir, `${appId}.git`);
  }

  async create(appId: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (existsSync(this.path(appId))) return;
    await git(['init', '--quiet', '--bare', '--initial-branch=main', this.path(appId)]);
  }

  async remove(appId: string): Promise<void> {
    await rm(this.path(appId), { recursive: true, force: true });
  }

  /** Current value of a ref, or null when it does not exist. */
  async ref(appId: string, ref: string): Promise<string | null> {
    try {
      return (await git(['--git-dir', this.path(appId), 'rev-parse', '--verify', '--quiet', ref])).trim() || null;
    } catch {
      return null;
    }
  }

  /** Writes the tree of `commit` into `dest` (objects may still be in the push's quarantine: pass its env). */
  async checkout(appId: string, commit: string, dest: string, env: Record<string, string>): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const archive = spawn('git', ['--git-dir', this.path(appId), 'archive', '--format=tar', commit], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      archive.stderr.on('data', (d) => (err += d));
      tar.stderr.on('data', (d) => (err += d));
      archive.stdout.pipe(tar.stdin);
      let pending = 2;
      let failed = false;
      const done = (code: number | null) => {
        if (code !== 0) failed = true;
        if (--pending === 0) failed ? reject(new Error(`checkout of ${commit} failed: ${err.trim()}`)) : resolve();
      };
      // A spawn that fails (no git, no tar) or a tar that dies early must fail the checkout, not the process.
      archive.on('error', (e) => { err += e.message; });
      tar.on('error', (e) => { err += e.message; });
      tar.stdin.on('error', () => undefined);
      archive.on('close', done);
      tar.on('close', done);
    });
  }
}

export function git(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args[0]} exited ${code}: ${err.trim()}`))));
  });
}
