// App Setups (Heroku's `POST /app-setups`): an app made whole from a source tarball and its app.json.
// The request creates the app and answers `pending`; then, in the background: the source is fetched
// (through the outbound guard) and its app.json checked (appjson/: a bad one fails naming the field),
// its add-ons provisioned, its config vars set (values, `generator: secret`, `overrides.env`), its
// buildpacks installed, the source built and released (deploy/, in the app's turn), and
// `scripts.postdeploy` run in a one-off dyno whose output and exit code are kept on the setup. Any failure
// destroys the app with all it made (add-ons included), so nothing is left half-made; the setup's
// `failure_message` says what failed and that the app was removed. Review apps go through `provision` too.
import { randomUUID } from 'node:crypto';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppJsonError, forReview, parseAppJson, resolveEnv, type AppJson } from '../appjson/index.ts';
import type { AddonRow } from '../addons/index.ts';
import type { AppRow } from '../apps/index.ts';
import { fetchSource } from '../build/source.ts';
import { readBuildFile } from '../slugs/build-file.ts';
import type { DeployOutcome, DeployRequest } from '../deploy/index.ts';
import type { EgressPolicy } from '../egress/index.ts';
import { PlatformError } from '../errors.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import { now, type Db } from '../store/index.ts';
import type { AppSetupsTable } from '../store/schema.ts';

export type AppSetupRow = AppSetupsTable;
export interface User { id: string; email: string }

/** What postdeploy keeps of its output (the rest is in the app's log). */
export const POSTDEPLOY_OUTPUT_MAX = 1024 * 1024;

/** A one-off dyno as postdeploy needs it: its exit status, and a way to stop it. */
export interface RunningDyno { exitStatus: Promise<number>; stop(): Promise<void> | void; stoppedByRequest?: boolean }

export interface AppSetupsOptions {
  db: Db;
  dataDir: string;
  /** Stacks app.json's `stack` may name (this platform's, and the Heroku stack it mirrors). */
  stacks: string[];
  egress: EgressPolicy;
  apps: { create(owner: User, o: { name?: string | null; stack?: string | { name?: string } | null }): Promise<AppRow>; destroy(a: AppRow, user: User): Promise<void>; byId(id: string): Promise<AppRow | undefined> };
  addons: { create(o: { app: { id: string; name: string }; user: User; plan: string; attachment?: string }): Promise<AddonRow> };
  setConfig(appId: string, user: User, vars: Record<string, string>): Promise<unknown>;
  configVars(appId: string): Promise<Record<string, string>>;
  setBuildpacks(appId: string, urls: string[]): Promise<unknown>;
  /** Records a pending build (its id is shown on the setup while it runs). */
  recordBuild(r: { id: string; app: { id: string; name: string }; user: User; commit: string; sourceBlob?: { url: string } }): Promise<unknown>;
  /** Deploys in the app's turn (deploy/): build → release → release phase. */
  deploy(req: DeployRequest): Promise<DeployOutcome>;
  runOneOff(appId: string, command: string, user: string, o: { type: string; size?: string; onOutput: (line: string) => void }): Promise<RunningDyno>;
  postdeployTimeoutMs?: number;
  webUrl(name: string): string;
  logger?: Logger;
}

export interface SetupRequest {
  app?: { name?: string | null; stack?: string | { name?: string } | null };
  sourceUrl: string;
  checksum?: string | null;
  version?: string | null;
  overrides?: { env?: Record<string, string>; buildpacks?: string[] };
}

/** How one provisioning went; `failure` set when it failed (the app is destroyed by then). */
export interface Provisioned { failure?: string; buildId?: string; postdeploy?: { output: string; exit_code: number }; manifest?: AppJson }

class SetupFailure extends Error {}

export class AppSetups {
  private readonly logger: Logger;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: AppSetupsOptions) {
    this.logger = componentLogger(o.logger, 'appsetups');
  }

  /** Creates the app and the pending setup; the rest runs in the background (`find` shows how it goes). */
  async create(user: User, r: SetupRequest): Promise<{ setup: AppSetupRow; app: AppRow }> {
    const app = await this.o.apps.create(user, { name: r.app?.name ?? null, stack: r.app?.stack ?? null });
    const t = now();
    const setup: AppSetupRow = {
      id: randomUUID(), app_id: app.id, app_name: app.name, user_id: user.id, status: 'pending', failure_message: null,
      manifest_errors: '[]', build_id: null, source_url: redact(r.sourceUrl), postdeploy_output: null, postdeploy_exit_code: null,
      resolved_success_url: null, created_at: t, updated_at: t,
    };
    await this.o.db.insertInto('app_setups').values(setup).execute();
    const work = join(this.o.dataDir, 'app-setups', setup.id);
    const run = (async () => {
      const result = await this.provision(app, user, {
        overrides: r.overrides, review: false, version: r.version ?? null, sourceBlob: { url: redact(r.sourceUrl) },
        fetch: (dir) => this.fetchWithRetries(r.sourceUrl, dir, r.checksum ?? undefined),
        onBuild: (id) => this.update(setup.id, { build_id: id }),
        onManifestError: (m) => this.update(setup.id, { manifest_errors: JSON.stringify([m]) }),
      }, work);
      const successUrl = result.manifest?.successUrl;
      await this.update(setup.id, {
        status: result.failure ? 'failed' : 'succeeded', failure_message: result.failure ?? null, build_id: result.buildId ?? null,
        postdeploy_output: result.postdeploy?.output ?? null, postdeploy_exit_code: result.postdeploy?.exit_code ?? null,
        resolved_success_url: result.failure ? null : new URL(successUrl ?? '/', this.o.webUrl(app.name)).toString(),
      });
    })().catch((err) => this.logger.error({ err, setup: setup.id }, 'app setup failed')).finally(() => this.running.delete(run));
    this.running.add(run);
    return { setup, app };
  }

  /**
   * Fetches the source; a connection that failed before any answer (refused, reset, timed out, a name
   * not yet resolvable) is tried again after 1, 2 and 4 s, as a server just starting may refuse at first.
   */
  private async fetchWithRetries(url: string, dir: string, checksum: string | undefined): Promise<void> {
    for (let n = 0; ; n++) {
      try {
        return await fetchSource(url, dir, checksum, this.o.egress);
      } catch (err) {
        const message = (err as Error).message;
        if (n >= 3 || !/\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN)\b/.test(message)) throw new SetupFailure(message);
        await new Promise((r) => setTimeout(r, 1000 * 2 ** n));
      }
    }
  }

  async find(id: string): Promise<AppSetupRow> {
    const row = await this.o.db.selectFrom('app_setups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new PlatformError(404, 'not_found', "Couldn't find that app setup.", 'app-setup');
    return row;
  }

  /**
   * Makes `app` what its source's app.json describes (review apps apply `environments.review`): fetch the
   * source into a work dir, check app.json, add-ons, config vars, buildpacks, build and release, then
   * postdeploy. On any failure the app is destroyed and `failure` says what failed. Never throws.
   */
  async provision(app: AppRow, user: User, s: {
    fetch: (dir: string) => Promise<void>; overrides?: SetupRequest['overrides']; review: boolean; version: string | null;
    sourceBlob?: { url: string }; onBuild?: (id: string) => Promise<void>; onManifestError?: (m: string) => Promise<void>;
    /** The build's output (a review app's pusher reads it). */
    output?: (text: string) => void;
  }, work: string): Promise<Provisioned> {
    const dir = join(work, 'src');
    const out: Provisioned = {};
    try {
      await mkdir(dir, { recursive: true });
      await s.fetch(dir);
      const text = await readBuildFile(join(dir, 'app.json'), 'app.json', { asError: (m) => new AppJsonError(m) });
      let manifest: AppJson;
      let env: Record<string, string>;
      try {
        manifest = text === undefined ? { env: {}, addons: [], buildpacks: [], formation: {}, scripts: {} } : parseAppJson(text, { stacks: this.o.stacks });
        if (s.review) manifest = forReview(manifest);
        out.manifest = manifest;
        env = resolveEnv(manifest, s.overrides?.env ?? {});
      } catch (err) {
        if (err instanceof AppJsonError) await s.onManifestError?.(err.message);
        throw err;
      }
      for (const a of manifest.addons) {
        await this.o.addons.create({ app, user, plan: a.plan, attachment: a.as }).catch((err: Error) => {
          throw new SetupFailure(`Add-on ${a.plan}${a.as ? ` (as ${a.as})` : ''} could not be provisioned: ${err.message}`);
        });
      }
      if (Object.keys(env).length) await this.o.setConfig(app.id, user, env);
      const buildpacks = s.overrides?.buildpacks ?? manifest.buildpacks;
      if (buildpacks.length) await this.o.setBuildpacks(app.id, buildpacks);
      const buildId = randomUUID();
      out.buildId = buildId;
      await this.o.recordBuild({ id: buildId, app, user, commit: s.version ?? '', sourceBlob: s.sourceBlob });
      await s.onBuild?.(buildId);
      const deployed = await this.o.deploy({
        id: buildId, app, user, commit: s.version ?? '', sourceBlob: s.sourceBlob, output: s.output ?? (() => undefined),
        description: s.version ? `Deploy ${s.version}` : 'Initial release from app.json',
        checkout: async (buildDir) => { await cp(dir, buildDir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true }); },
      });
      if (!deployed.ok) throw new SetupFailure(`The build or its release failed: see its output (builds:output ${buildId.slice(0, 8)} while the app exists, or GET /app-setups/{id} build.output_stream_url).`);
      const postdeploy = manifest.scripts.postdeploy;
      if (postdeploy) {
        out.postdeploy = await this.runScript(app, user, postdeploy.command, postdeploy.size, 'postdeploy');
        if (out.postdeploy.exit_code !== 0) throw new SetupFailure(`scripts.postdeploy exited with status ${out.postdeploy.exit_code}: see postdeploy.output.`);
      }
      return out;
    } catch (err) {
      const known = err instanceof SetupFailure || err instanceof AppJsonError || err instanceof PlatformError;
      if (!known) this.logger.error({ err, app: app.name }, 'provisioning failed');
      const what = known ? (err as Error).message : `platform error (${(err as Error).message})`;
      out.failure = `${what} ${await this.removeApp(app, user)}`;
      return out;
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /**
   * The first deploy of an app by push (no release with a slug yet) applies its app.json before the
   * release is made: env vars it does not have yet (values, generated secrets; a required one without a
   * value fails the build naming it) and the add-ons it lacks. Answers the postdeploy script to run once
   * the release is live (undefined when none, or not the first deploy).
   */
  async firstDeploy(app: { id: string; name: string }, user: User, m: AppJson, output: (text: string) => void): Promise<AppJson['scripts']['postdeploy']> {
    const deployed = await this.o.db.selectFrom('releases').select('id').where('app_id', '=', app.id).where('slug_id', 'is not', null).executeTakeFirst();
    if (deployed) return undefined;
    const have = await this.o.configVars(app.id);
    const attached = await this.o.db.selectFrom('addon_attachments').innerJoin('addons', 'addons.id', 'addon_attachments.addon_id')
      .select(['addon_attachments.name', 'addons.service']).where('addon_attachments.app_id', '=', app.id).execute();
    const wanted = Object.fromEntries(Object.entries(m.env).filter(([k]) => have[k] === undefined));
    const env = resolveEnv({ env: wanted });
    for (const [i, a] of m.addons.entries()) {
      const service = a.plan.split(':')[0];
      if (a.as ? attached.some((x) => x.name === a.as) : attached.some((x) => x.service === service)) continue;
      output(`-----> app.json: provisioning ${a.plan}${a.as ? ` as ${a.as}` : ''}\n`);
      await this.o.addons.create({ app, user, plan: a.plan, attachment: a.as }).catch((err: Error) => {
        throw new AppJsonError(`app.json addons[${i}] ${a.plan} could not be provisioned: ${err.message}`);
      });
    }
    if (Object.keys(env).length) {
      output(`-----> app.json: setting ${Object.keys(env).join(', ')}\n`);
      await this.o.setConfig(app.id, user, env);
    }
    if (m.scripts.postdeploy) output('-----> app.json: scripts.postdeploy runs in a one-off dyno once this release is live; its output is in the app\'s log (logs --dyno postdeploy)\n');
    return m.scripts.postdeploy;
  }

  /** Runs an app.json script in a one-off dyno (`postdeploy`, `pr-predestroy`) on the current release; keeps its output. */
  async runScript(app: { id: string; name: string }, user: User, command: string, size: string | undefined, type: string): Promise<{ output: string; exit_code: number }> {
    let output = '';
    const dyno = await this.o.runOneOff(app.id, command, user.email, {
      type, size, onOutput: (line) => { if (output.length < POSTDEPLOY_OUTPUT_MAX) output += line.slice(0, POSTDEPLOY_OUTPUT_MAX - output.length); },
    });
    const limit = this.o.postdeployTimeoutMs ?? 3600_000;
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; void dyno.stop(); }, limit);
    try {
      const code = await dyno.exitStatus;
      if (timedOut) output += `\n !     ${type} ran past its limit (${Math.round(limit / 1000)} s) and was stopped.\n`;
      return { output, exit_code: timedOut && code === 0 ? 1 : code };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Destroys an app a failed setup made; the sentence says so (or what remains). */
  private async removeApp(app: AppRow, user: User): Promise<string> {
    try {
      const still = await this.o.apps.byId(app.id);
      if (still) await this.o.apps.destroy(still, user);
      return `The app ${app.name} and what the setup made for it (add-ons, config vars, builds) were removed.`;
    } catch (err) {
      this.logger.error({ err, app: app.name }, 'removing a failed setup app failed');
      return `The app ${app.name} could not be removed (${(err as Error).message}); destroy it with apps:destroy ${app.name}.`;
    }
  }

  private async update(id: string, set: Partial<AppSetupRow>): Promise<void> {
    await this.o.db.updateTable('app_setups').set({ ...set, updated_at: now() }).where('id', '=', id).execute();
  }

  /** At start: setups a stopped platform left pending failed; their apps are named for the user to destroy. */
  async recover(): Promise<void> {
    const pending = await this.o.db.selectFrom('app_setups').selectAll().where('status', '=', 'pending').execute();
    for (const s of pending) {
      await this.update(s.id, { status: 'failed', failure_message: `The platform stopped during the setup. The app ${s.app_name} may remain half made: destroy it with apps:destroy ${s.app_name} and set it up again.` });
    }
  }
}

/** A URL as it may be stored and shown: without credentials or query (presigned URLs carry secrets there). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the source URL';
  }
}
