// What a push does, called from the repository's pre-receive hook: pushes to main/master build and
// release; other branches are stored but not deployed; the build's output streams back to the pusher.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BuildRejected, type Builder } from '../build/index.ts';
import type { GitHttp } from './http.ts';
import type { Repos } from './repos.ts';

export interface RefUpdate { old: string; new: string; ref: string }

const ZERO = /^0+$/;
const DEPLOY_REFS = ['refs/heads/main', 'refs/heads/master'];

export class PushHandler {
  /**
   * Per app, when the latest push is completely done. A push holds its app from its hook's start until
   * its `receive-pack` has exited, because git moves the ref only after the hook: the next push must not
   * build before then, or it would build on a branch that is about to move.
   */
  private readonly lastPush = new Map<string, Promise<void>>();

  constructor(private readonly o: {
    git: GitHttp; repos: Repos; builder: Builder; remoteName: string;
    /** Streams a pending release's release-phase output until it settles. */
    followRelease: (releaseId: string, out: (s: string) => void) => Promise<'succeeded' | 'failed'>;
  }) {}

  /**
   * Runs `work` once the app's pushes and builds before it are done, holding the app until it ends (the
   * Builds API and the build cache purge queue behind pushes this way).
   */
  async exclusive<T>(appId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lastPush.get(appId);
    let done!: () => void;
    const mine = new Promise<void>((r) => { done = r; });
    const chained = previous ? previous.then(() => mine) : mine;
    this.lastPush.set(appId, chained);
    void chained.then(() => { if (this.lastPush.get(appId) === chained) this.lastPush.delete(appId); });
    try {
      if (previous) await previous;
      return await work();
    } finally {
      done();
    }
  }

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
    for await (const chunk of req) raw += chunk;
    const { refs, env } = JSON.parse(raw) as { refs: RefUpdate[]; env: Record<string, string> };
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' });
    const out = (s: string) => { if (!res.destroyed) res.write(s.replace(/\0/g, '')); };
    const previous = this.lastPush.get(push.app.id);
    const mine = previous ? previous.then(() => push.finished) : push.finished;
    this.lastPush.set(push.app.id, mine);
    void mine.then(() => { if (this.lastPush.get(push.app.id) === mine) this.lastPush.delete(push.app.id); });
    if (previous) {
      out('-----> Waiting for the app\'s build in progress to finish...\n');
      await previous;
    }
    const code = await this.run(push.app, push.user, refs, env, out);
    res.end(`\0${code}`);
  }

  private async run(app: { id: string; name: string }, user: { id: string; email: string }, refs: RefUpdate[], env: Record<string, string>, out: (s: string) => void): Promise<number> {
    const deploys = refs.filter((r) => DEPLOY_REFS.includes(r.ref));
    for (const r of refs.filter((x) => !DEPLOY_REFS.includes(x.ref))) {
      const branch = r.ref.replace(/^refs\/heads\//, '');
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
    const result = await this.o.builder.build({
      app, user, commit: d.new, output: out,
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
    if (result.build.status === 'succeeded') {
      out('Verifying deploy... done.\n');
      if (!result.release?.pending) return 0;
      // The release phase: its output streams here; a failed release declines the push (nothing went live).
      out('Running release command...\n\n');
      const status = await this.o.followRelease(result.release.id, out);
      if (status === 'succeeded') {
        out('Waiting for release.... done.\n');
        return 0;
      }
      out(`Waiting for release.... failed.\n\n !     Release v${result.release.version} failed; ${app.name} keeps running its previous release.\n`);
      out(` !     Its output: slipway releases:output v${result.release.version} -a ${app.name}\n\n`);
      return 1;
    }
    out(`Verifying deploy...\n\n!\tPush rejected to ${app.name}.\n\n`);
    return 1;
  }
}
