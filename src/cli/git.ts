// The few git calls the CLI makes: list, add, re-point and remove remotes in the current work tree.

import { execFile } from 'node:child_process';

export interface Remote {
  name: string;
  /** The fetch URL. */
  url: string;
}

function git(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve(stdout);
    });
  });
}

/** Fetch URLs from `git remote -v` output. */
export function parseRemotes(output: string): Remote[] {
  const remotes: Remote[] = [];
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+\(fetch\)\s*$/.exec(line);
    if (m) remotes.push({ name: m[1]!, url: m[2]! });
  }
  return remotes;
}

/** The remotes of the repository at cwd; none when it is not a git work tree or git is missing. */
export async function listRemotes(cwd: string): Promise<Remote[]> {
  try {
    return parseRemotes(await git(['remote', '-v'], cwd));
  } catch {
    return [];
  }
}

export async function inWorkTree(cwd: string): Promise<boolean> {
  try {
    return (await git(['rev-parse', '--is-inside-work-tree'], cwd)).trim() === 'true';
  } catch {
    return false;
  }
}

export async function addRemote(cwd: string, name: string, url: string): Promise<void> {
  await git(['remote', 'add', name, url], cwd);
}

export async function setRemoteUrl(cwd: string, name: string, url: string): Promise<void> {
  await git(['remote', 'set-url', name, url], cwd);
}

export async function removeRemote(cwd: string, name: string): Promise<void> {
  await git(['remote', 'remove', name], cwd);
}
