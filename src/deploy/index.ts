// The deploy path, in one place for git pushes and the Builds API: build the source (the builder makes
// the slug and its release, printing Heroku's slug-compiler lines), keep what the build printed with the
// build (its output_stream_url, `builds:output`), follow the release phase when the slug declares one,
// and say how it ended. Going live is not here: a release goes live once its release phase succeeded
// (releases/), and the dyno manager takes it from there (dynos/live.ts). Deploys of an app take turns
// (queue.ts); the Builds API's build waits behind the app's pushes.
import { randomUUID } from 'node:crypto';
import type { BuildOutcome, BuildRequest, Builder, User } from '../build/index.ts';
import { fetchSource } from '../build/source.ts';
import type { OutputStore } from '../releases/output.ts';
import type { BuildsTable } from '../store/schema.ts';
import { Phases } from '../build/phases.ts';
import { AppQueue } from './queue.ts';
import { type LiveWatch, type SubscribeLines, watchLivePhases } from './live-phases.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export { AppQueue } from './queue.ts';

export interface DeployerOptions {
  builder: Pick<Builder, 'build' | 'record' | 'fail' | 'savePhases'>;
  /** Build output streams, one per build id. */
  buildOutputs: OutputStore;
  /** Release-phase output streams, one per release id. */
  releaseOutputs: Pick<OutputStore, 'follow'>;
  /** Resolves when the release has gone live or failed. */
  settled: (releaseId: string) => Promise<'succeeded' | 'failed'>;
  /** The app's live log lines, from which the phases after the release are read (live-phases.ts). */
  subscribeLines?: SubscribeLines;
  logger?: Logger;
}

export interface DeployRequest extends BuildRequest {
  /** A git push: Heroku's push lines frame the build (`Verifying deploy...`, `Push rejected to ...`). */
  gitPush?: boolean;
}

export interface DeployOutcome extends Partial<BuildOutcome> {
  /** Built, released, and the release went live. */
  ok: boolean;
}

/** The Builds API's source: a tarball URL, its checksum and the version the release is named by. */
export interface SourceBlob { url: string; checksum: string | null; version: string | null; version_description: string | null }

export class Deployer {
  /** One deploy per app at a time (pushes, Builds API builds, build cache purges take turns). */
  readonly queue = new AppQueue();

  private readonly logger: Logger;

  constructor(private readonly o: DeployerOptions) {
    this.logger = componentLogger(o.logger, 'deploy');
  }

  /** Deploys now (the caller holds the app's turn): build → release → release phase. Never throws. */
  async deploy(req: DeployRequest): Promise<DeployOutcome> {
    const { buildOutputs } = this.o;
    const id = req.id ?? randomUUID();
    const app = req.app;
    // The stored stream is the build's own output. A Builds API client has nothing else to read, so
    // there it goes on through the release phase; a pusher reads the rest on git's stream.
    if (!buildOutputs.isLive(id)) await buildOutputs.open(id);
    const out = (text: string) => { req.output(text); buildOutputs.write(id, text); };
    const say = (text: string) => (req.gitPush ? req.output(text) : out(text));
    const phases = req.phases ?? new Phases();
    // Begun before the build: the release starts the new dynos before the build returns.
    const live = this.o.subscribeLines ? watchLivePhases(this.o.subscribeLines, app.id) : undefined;
    try {
      const result = await this.o.builder.build({ ...req, id, output: out, phases });
      const made = phases.list.find((p) => p.name === 'release');
      if (live && made && result.build.status === 'succeeded') void this.recordLive(id, phases, live, made.start);
      else live?.cancel();
      if (req.gitPush) await buildOutputs.close(id);
      const release = result.release;
      if (result.build.status !== 'succeeded' || !release) {
        if (req.gitPush) say(`Verifying deploy...\n\n!\tPush rejected to ${app.name}.\n\n`);
        return { ...result, ok: false };
      }
      if (req.gitPush) say('Verifying deploy... done.\n');
      if (!release.pending) return { ...result, ok: true };
      say('Running release command...\n\n');
      await this.o.releaseOutputs.follow(release.id, say);
      if ((await this.o.settled(release.id)) === 'succeeded') {
        say('Waiting for release.... done.\n');
        return { ...result, ok: true };
      }
      say('Waiting for release.... failed.\n');
      if (req.gitPush) {
        say(`\n !     Release v${release.version} failed; ${app.name} keeps running its previous release.\n`);
        say(` !     Its output: slipway releases:output v${release.version} -a ${app.name}\n\n`);
      }
      return { ...result, ok: false };
    } catch (err) {
      live?.cancel();
      this.logger.error({ err, app: app.name, build: id }, 'build failed');
      say(` !     Build failed: platform error (${(err as Error).message}).\n`);
      // The database may be closing (platform stopping): the next start fails builds left pending.
      await this.o.builder.fail(id).catch(() => undefined);
      return { ok: false };
    } finally {
      await buildOutputs.close(id);
    }
  }

  /** Adds the phases after the release (dyno start, first answer) once seen, and stores them. Never throws. */
  private async recordLive(id: string, phases: Phases, live: LiveWatch, releasedAt: number): Promise<void> {
    try {
      for (const p of await live.released(releasedAt)) phases.add(p.name, p.start, p.end);
      await this.o.builder.savePhases(id, phases);
    } catch (err) {
      this.logger.warn({ err, build: id }, 'recording the phases after the release failed');
    }
  }

  /**
   * The Builds API: records the build and opens its output stream now, so the answer (201, pending,
   * with its output_stream_url) is immediate; the build runs in the app's turn, its source fetched from
   * the URL (checksum verified) and unpacked. The release is `Deploy <version>`.
   */
  async buildFromSource(r: { app: { id: string; name: string }; user: User; source: SourceBlob }): Promise<BuildsTable> {
    const { url, checksum, version } = r.source;
    const sourceBlob = { url, checksum, version_description: r.source.version_description };
    const id = randomUUID();
    const commit = version ?? '';
    const row = await this.o.builder.record({ id, app: r.app, user: r.user, commit, sourceBlob });
    await this.o.buildOutputs.open(id);
    void this.queue.exclusive(r.app.id, () => this.deploy({
      id, app: r.app, user: r.user, sourceBlob, commit, output: () => undefined,
      description: version ? `Deploy ${version}` : 'Deploy from a source tarball',
      checkout: async (dir, out) => {
        out(`-----> Fetching source from ${redact(url)}\n`);
        await fetchSource(url, dir, checksum ?? undefined);
      },
    }));
    return row;
  }
}

/** A URL as it may be printed: without credentials or query (presigned URLs carry secrets there). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the source URL';
  }
}
