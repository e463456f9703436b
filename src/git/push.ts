// What a push does, called from the repository's pre-receive hook: pushes to main/master build and
// release; other branches are stored but not deployed; the build's output streams back to the pusher.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BuildRejected } from '../build/index.ts';
import { Phases } from '../build/phases.ts';
import type { Deployer } from '../deploy/index.ts';
import type { GitHttp } from './http.ts';
import type { Repos } from './repos.ts';

export interface RefUpdate { old: string; new: string; ref: string }

/**
 * What happens to pushes of other branches (review apps): `pushed` answers true when it took the
 * branch (it may check the pushed commit out while the hook runs); `deleted` is told of deletions.
 */
export interface BranchHook {
  pushed(r: { app: { id: string; name: string }; user: { id: string; email: string }; branch: string; commit: string; checkout: (dir: string) => Promise<void>; output: (s: string) => void }): Promise<boolean>;
  deleted(r: { app: { id: string; name: string }; user: { id: string; email: string }; branch: string; output: (s: string) => void }): Promise<void>;
}

const ZERO = /^0+$/;
/** The most the hook's report (the pushed refs and git's push options) may hold. */
export const HOOK_BODY_MAX = 8 * 1024 * 1024;
const DEPLOY_REFS = ['refs/heads/main', 'refs/heads/master'];

export class PushHandler {
  constructor(private readonly o: { git: GitHttp; repos: Repos; deployer: Deployer; remoteName: string; branches?: BranchHook }) {}

  /** The hook's POST: answers with the output, then NUL and the hook's exit status. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = String(req.headers['x-slipway-hook-token'] ?? '');
    const push = this.o.git.pushes.get(token);
    if (!push) {
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end(' !     Unknown push.\n\x001');
      return;
    }
    let raw = '';
    for await (const chunk of req) {
      raw += chunk;
      if (raw.length > HOOK_BODY_MAX) {
        res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end(` !     The push names too many refs at once (over ${HOOK_BODY_MAX} bytes of them); push fewer branches or tags at a time.\n\x001`);
        return;
      }
    }
    const { refs, env } = JSON.parse(raw) as { refs: RefUpdate[]; env: Record<string, string> };
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' });
    const out = (s: string) => { if (!res.destroyed) res.write(s.replace(/\0/g, '')); };
    // A push holds its app from its hook's start until its `receive-pack` has exited: git moves the
    // ref only after the hook, so the next push must not build on a branch that is about to move.
    const phases = new Phases();
    phases.add('receive', push.receivedAt);
    const previous = this.o.deployer.queue.enter(push.app.id, push.finished);
    if (previous) {
      out('-----> Waiting for the app\'s build in progress to finish...\n');
      await phases.time('waiting for the build in progress', () => previous);
    }
    const code = await this.run(push.app, push.user, refs, env, out, phases);
    res.end(`\0${code}`);
  }

  private async run(app: { id: string; name: string }, user: { id: string; email: string }, refs: RefUpdate[], env: Record<string, string>, out: (s: string) => void, phases: Phases): Promise<number> {
    const deploys = refs.filter((r) => DEPLOY_REFS.includes(r.ref));
    for (const r of refs.filter((x) => !DEPLOY_REFS.includes(x.ref))) {
      const branch = r.ref.replace(/^refs\/heads\//, '');
      if (this.o.branches && r.ref.startsWith('refs/heads/')) {
        if (ZERO.test(r.new)) {
          await this.o.branches.deleted({ app, user, branch, output: out });
          continue;
        }
        const checkout = (dir: string) => this.o.repos.checkout(app.id, r.new, dir, env);
        if (await this.o.branches.pushed({ app, user, branch, commit: r.new, checkout, output: out })) continue;
      }
      out(`Pushed to non-deploy branch ${branch}; nothing was built.\n`);
      out(`To deploy it, push it to main: git push ${this.o.remoteName} ${branch}:main\n`);
    }
    if (deploys.length === 0) return 0;
    if (deploys.length > 1) {
      out(' !     Push main or master, not both at once.\n');
      return 1;
    }
    const d = deploys[0]!;
    if (ZERO.test(d.new)) {
      out(` !     Deleting ${d.ref.replace('refs/heads/', '')} is not allowed: it is the app's deploy branch.\n`);
      return 1;
    }
    const result = await this.o.deployer.deploy({
      app, user, commit: d.new, output: out, gitPush: true, phases,
      checkout: async (dir) => {
        // Serialized pushes: if another push moved the branch while this one waited, git would refuse
        // the ref update after we had released; refuse before building instead.
        const current = await this.o.repos.ref(app.id, d.ref);
        if ((current ?? '0'.repeat(40)) !== d.old && !(current === null && ZERO.test(d.old))) {
          throw new BuildRejected(`${d.ref.replace('refs/heads/', '')} was updated by another push while this one waited.\nFetch, merge and push again.`);
        }
        await this.o.repos.checkout(app.id, d.new, dir, env);
      },
    });
    return result.ok ? 0 : 1;
  }
}
