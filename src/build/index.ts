// The build: checkout → buildpacks (detect / compile / release, in build containers) → Procfile →
// slug → release, printing Heroku's slug-compiler output as it happens. One build per app at a time.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { LogSink } from '../logs/types.ts';
import type { ContainerSpec, Runtime } from '../runtime/types.ts';
import { unmountUnder } from '../runtime/index.ts';
import { ArchiveRefused, type BlobStore, BuildFileError, formatSize, packSlug, slugIgnoreOf, SlugTooLargeError, sweepUnpackLeftovers } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { BuildsTable, SlugsTable } from '../store/schema.ts';
import { BuildpackError, builtinBuildpacks, materialize, resolveBuildpack, type BuildpackSource } from './buildpacks.ts';
import { describeProcessTypes, ProcfileError, readProcfile } from './procfile.ts';
import { AppJsonError, readAppJson, type FormationEntry } from './appjson.ts';
import type { AppJson } from '../appjson/index.ts';
import { runStep } from './run-step.ts';
import { componentLogger, type Logger } from '../logger/index.ts';
import { mountBuildCache, unmountBuildCache } from './cache-disk.ts';
import { filledDir } from './runtime-cache.ts';
import { type FillDirs, prepareRuntimes } from './runtime-fill.ts';
import { layerFromFill, type MountedLayer, mountRuntimeLayer, type RecordedLayer, runtimeUntouched } from './runtime-layer.ts';
import { chownTree } from './chown.ts';
import { Phases } from './phases.ts';
import { runCommand } from '../supervise/command.ts';

export interface BuilderOptions {
  db: Db;
  runtime: Runtime;
  blobs: BlobStore;
  logs: LogSink;
  /** Build work dirs and per-app build caches live here. */
  dataDir: string;
  /** The repository's buildpacks/ folder. */
  builtinRoot: string;
  /** Host directories local-path buildpacks may be in (SLIPWAY_LOCAL_BUILDPACKS); none: refused. */
  localBuildpackDirs?: readonly string[];
  /** Machine-wide cache of downloaded language runtimes, shared by every app's builds (read-only in them; filled by trusted steps). */
  runtimeCacheDir: string;
  timeoutMs: number;
  /** What the runtime cache's entries may hold together (runtime-cache.ts). */
  runtimeCacheQuotaBytes: number;
  /** Size of each app's build cache filesystem (cache-disk.ts). */
  cacheQuotaBytes: number;
  /** A build is refused while the data dir's disk has less free than this. */
  minFreeDiskBytes: number;
  /** What is wrong while the data disk is past its high-water mark (builds are refused then), else undefined. */
  diskFull?: () => Promise<string | undefined>;
  /** This platform's container id prefix (`slipway-<instance>-`). */
  containerPrefix: string;
  /** Turns a finished slug into a release; `pending` when its release phase is still to run. */
  /** `appJson` is the app's checked app.json, when it has one (the first deploy of a push applies it). */
  release: (b: { appId: string; user: User; slug: SlugsTable; description: string; formation: Record<string, FormationEntry>; appJson?: AppJson; output: (text: string) => void }) => Promise<BuildRelease>;
  /** The app's config vars (decrypted), written into the build's ENV_DIR. */
  configVars: (appId: string) => Promise<Record<string, string>>;
  /** The app's URL, printed after `Released vN`. */
  webUrl: (appName: string) => string;
  /** Told of each build recorded (`create`) and ended (`update`); must return at once (app webhooks). */
  onChange?: (action: 'create' | 'update', build: BuildsTable, previous?: Partial<BuildsTable>) => void;
  logger?: Logger;
}

export interface User { id: string; email: string }

export interface BuildRelease { id: string; version: number; pending: boolean }

export interface BuildRequest {
  app: { id: string; name: string };
  user: User;
  /** The commit being built (full sha; `Deploy <sha7>` names the release), or the Builds API's source version ('' when none). */
  commit: string;
  /** The build's id, when the caller recorded it already (the Builds API answers before it runs); else a new one. */
  id?: string;
  /** The release description, when the source is not a git commit (`Deploy <version>`). */
  description?: string;
  /** The Builds API's source tarball, recorded with the build. */
  sourceBlob?: { url: string; checksum?: string | null; version_description?: string | null };
  /** Fills the (empty) build dir with the source tree; `output` is the build's. */
  checkout: (dir: string, output: (text: string) => void) => Promise<void>;
  /** The build's output, as it happens. */
  output: (text: string) => void;
  /** Where the deploy's phases are recorded (phases.ts); the build adds its own and stores them all. */
  phases?: Phases;
}

export interface BuildOutcome {
  build: BuildsTable;
  release?: BuildRelease;
}

/**
 * Directories of a built app that are packed as slug layers (slugs/layers.ts): big, and the same from
 * one build of an app to the next. `.jdk` is the JDK the JVM buildpacks copy whole from their runtime
 * cache, mtimes kept; `.heroku/node` the Node runtime (node, npm, yarn or pnpm) the nodejs buildpack
 * assembles from its runtime cache, the times of what it makes set to the node binary's. Ruby's is
 * not: its buildpack puts files into it at each build, so a layer would only add a hashing pass that
 * never finds its member unchanged.
 */
const SLUG_LAYERS = ['.jdk', '.heroku/node'];

/** Size cap of a build's in-memory work dir (source, compiled app, buildpacks). */
const BUILD_TMPFS_BYTES = 6 * 1024 ** 3;

const STACK_ENV_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class Builder {
  private readonly logger: Logger;
  /** The part of the runtime cache builds see (read-only) and fills write (runtime-cache.ts). */
  private readonly runtimeCache: string;

  constructor(private readonly o: BuilderOptions) {
    this.logger = componentLogger(o.logger, 'build');
    this.runtimeCache = filledDir(o.runtimeCacheDir);
  }

  /**
   * Runs one build. Callers serialize builds of one app (the deploy path's per-app turns, which a push
   * holds until git has moved the ref); builds of different apps run side by side.
   */
  async build(req: BuildRequest): Promise<BuildOutcome> {
    const { db, logs } = this.o;
    const stack = this.o.runtime.stack;
    const build = await this.record({ ...req, id: req.id ?? randomUUID() });
    logs.emit(req.app.id, 'app', 'api', `Build started by user ${req.user.email}`);
    const work = join(this.o.dataDir, 'builds', build.id);
    const short = build.id.slice(0, 8);
    const ctx: Ctx = {
      req, build, deadline: Date.now() + this.o.timeoutMs, short,
      hostBuildDir: join(work, 'app'), hostEnvDir: join(work, 'env'), hostBuildpacks: join(work, 'buildpacks'),
      hostCache: join(this.o.dataDir, 'cache', req.app.id),
      buildDir: `/tmp/build_${short}`, detected: '', phases: req.phases ?? new Phases(), names: [],
      // Per app while builds write it: with a uid per app, one app's build cannot write what another's made.
    };
    const out = req.output;
    const ph = ctx.phases;
    try {
      await this.checkFreeDisk();
      await this.prepareDirs(ctx);
      out(`-----> Building on the ${capitalize(stack)} stack\n`);
      const packs = await this.chooseBuildpacks(ctx);
      build.buildpacks = JSON.stringify(packs.map((p) => ({ url: p.url, name: p.name })));
      out(`-----> ${ctx.detected} app detected\n`);
      const layers = await ph.time('runtimes (fill, check)', () => prepareRuntimes({
        cache: this.runtimeCache, plansDir: join(this.o.runtimeCacheDir, 'plans'), quotaBytes: this.o.runtimeCacheQuotaBytes,
        stack, workDir: join(this.o.dataDir, 'builds', build.id), sourceDir: ctx.hostBuildDir, output: out, logger: this.logger,
        filler: () => this.o.runtime.userFor(FILL_TENANT),
        runFill: (i, dirs, onOutput) => this.step(ctx, i, `bin/fill ${ctx.buildDir} /tmp/cache /tmp/env`, [], onOutput, false, dirs),
        makeLayer: (dir) => layerFromFill(dir, this.o.blobs, join(this.o.dataDir, 'builds', `${build.id}.fill-layer`)),
        hasLayer: (blob) => this.o.blobs.has(blob),
      }, packs));
      // A lone built-in buildpack whose fill made a runtime layer: the build gets it under an overlay.
      const layer = packs.length === 1 && process.getuid?.() === 0 ? layers.get(0) : undefined;
      if (layer) ctx.layer = await ph.time('runtime layer (mount)', () => mountRuntimeLayer({ dataDir: this.o.dataDir, blobs: this.o.blobs, layer, upper: ctx.hostBuildDir, work, user: ctx.user! }))
        .then((m) => m && { ...m, layer }, (err) => void this.logger.error({ err, build: build.id }, 'mounting the runtime layer failed; the build installs its runtime itself'));
      const exports: string[] = [];
      for (let i = 0; i < packs.length; i++) {
        const r = await this.step(ctx, i, `bin/compile ${ctx.buildDir} /tmp/cache /tmp/env`, exports, out, false);
        if (r.timedOut) throw new BuildFailure(`Timed out compiling ${ctx.detected} app (the build timeout is ${Math.round(this.o.timeoutMs / 1000)} s).`);
        if (r.code !== 0) throw new BuildFailure(`Push rejected, failed to compile ${ctx.detected} app.`);
        if (existsSync(join(ctx.hostBuildpacks, String(i), 'export'))) exports.push(`/tmp/buildpacks/${i}/export`);
      }
      const defaults = await this.defaultProcessTypes(ctx, packs.length);
      out('-----> Discovering process types\n');
      const procfile = await readProcfile(ctx.hostBuildDir);
      for (const line of describeProcessTypes(procfile, defaults)) out(`${line}\n`);
      const processTypes = { ...defaults, ...(procfile ?? {}) };
      const appJson = await readAppJson(ctx.hostBuildDir, [stack, 'heroku-24']);
      const formation = appJson?.formation ?? {};
      out('\n-----> Compressing...\n');
      const slug = await this.packSlug(ctx, processTypes);
      out(`       Done: ${formatSize(slug.size)}\n`);
      out('-----> Launching...\n');
      const description = req.description ?? `Deploy ${req.commit.slice(0, 7)}`;
      if (processTypes.release) out(' !     Release command declared: this new release will not be available until the command succeeds.\n');
      const release = await ph.time('release', async () => {
        const r = await this.o.release({ appId: req.app.id, user: req.user, slug, description, formation, appJson, output: out });
        await db.updateTable('apps').set({ buildpack_provided_description: ctx.detected }).where('id', '=', req.app.id).execute();
        return r;
      });
      Object.assign(build, { status: 'succeeded', slug_id: slug.id, release_id: release.id, updated_at: now(), phases: JSON.stringify(ph) });
      await db.updateTable('builds').set(build).where('id', '=', build.id).execute();
      this.o.onChange?.('update', { ...build }, { status: 'pending' });
      out(`       Released v${release.version}\n       ${this.o.webUrl(req.app.name)} deployed to Slipway\n\n`);
      logs.emit(req.app.id, 'app', 'api', 'Build succeeded');
      return { build, release };
    } catch (err) {
      const known = err instanceof BuildFailure || err instanceof BuildpackError || err instanceof ProcfileError || err instanceof SlugTooLargeError || err instanceof AppJsonError || err instanceof BuildFileError || err instanceof ArchiveRefused;
      if (!known) this.logger.error({ err, app: req.app.name, build: build.id }, 'build failed');
      const message = known ? (err as Error).message : `Build failed: platform error (${(err as Error).message}).`;
      out(`\n${message.split('\n').map((l) => ` !     ${l}`).join('\n')}\n\n !     Push failed\n`);
      Object.assign(build, { status: 'failed', updated_at: now(), phases: JSON.stringify(ph) });
      await db.updateTable('builds').set(build).where('id', '=', build.id).execute();
      this.o.onChange?.('update', { ...build }, { status: 'pending' });
      logs.emit(req.app.id, 'app', 'api', `Build failed -- check your build output: builds:info ${build.id}`);
      return { build };
    } finally {
      await unmountBuildCache(ctx.hostCache).catch((err) => this.logger.error({ err, build: build.id }, 'unmounting the build cache failed'));
      await unmountUnder(work);
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Records a build as pending: the Builds API answers with the row before the build has its turn;
   * a build recorded so keeps its row when it runs.
   */
  async record(req: Pick<BuildRequest, 'app' | 'user' | 'commit' | 'sourceBlob'> & { id: string }): Promise<BuildsTable> {
    const t = now();
    const build: BuildsTable = {
      id: req.id, app_id: req.app.id, user_id: req.user.id, status: 'pending', source_version: req.commit || null,
      slug_id: null, release_id: null, stack: this.o.runtime.stack, buildpacks: null, phases: null,
      source_blob: req.sourceBlob ? JSON.stringify(req.sourceBlob) : null, created_at: t, updated_at: t,
    };
    const row = await this.o.db.insertInto('builds').values(build).onConflict((oc) => oc.column('id').doUpdateSet({ status: 'pending', updated_at: t }))
      .returningAll().executeTakeFirstOrThrow();
    if (row.created_at === t) this.o.onChange?.('create', row);
    return row;
  }

  /** Stores the phases of a build's deploy (the deploy path adds those after the release). */
  async savePhases(id: string, phases: Phases): Promise<void> {
    await this.o.db.updateTable('builds').set({ phases: JSON.stringify(phases) }).where('id', '=', id).execute();
  }

  /** Marks a build a platform error ended as failed (one that finished keeps its status). */
  async fail(id: string): Promise<void> {
    await this.o.db.updateTable('builds').set({ status: 'failed', updated_at: now() }).where('id', '=', id).where('status', '=', 'pending').execute();
  }

  /** Removes what builds interrupted by a platform crash left (their tmpfs mounts and work dirs); they failed. */
  async cleanup(): Promise<void> {
    await this.o.db.updateTable('builds').set({ status: 'failed', updated_at: now() }).where('status', '=', 'pending').execute();
    const dir = join(this.o.dataDir, 'builds');
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
    // Build caches a killed platform left mounted; runtime layers it left half unpacked.
    await unmountUnder(join(this.o.dataDir, 'cache'));
    await sweepUnpackLeftovers(join(this.o.dataDir, 'build-layers'));
  }

  private async prepareDirs(ctx: Ctx): Promise<void> {
    const work = join(this.o.dataDir, 'builds', ctx.build.id);
    await mkdir(work, { recursive: true });
    ctx.user = await this.o.runtime.userFor(ctx.req.app.id);
    if (process.getuid?.() === 0 && process.platform === 'linux') {
      // The build's work dir (source, buildpacks, ENV_DIR) lives in memory: a build creates and packs
      // thousands of small files, and on a virtual disk that costs ten times what tmpfs does. Only what
      // is written uses memory; the size caps a runaway build.
      await runCommand('mount', ['-t', 'tmpfs', '-o', `size=${BUILD_TMPFS_BYTES},mode=0755`, 'slipway-build', work]);
    }
    for (const d of [ctx.hostBuildDir, ctx.hostEnvDir, ctx.hostBuildpacks, this.runtimeCache]) await mkdir(d, { recursive: true });
    await mountBuildCache(ctx.hostCache, this.o.cacheQuotaBytes);
    await ctx.phases.time('checkout', () => ctx.req.checkout(ctx.hostBuildDir, ctx.req.output));
    const config = await this.o.configVars(ctx.req.app.id);
    for (const [key, value] of Object.entries(config)) await writeFile(join(ctx.hostEnvDir, key), value);
    ctx.buildpackUrlVar = config.BUILDPACK_URL;
    // Builds run as the app's own user (runtime tenants): it must own what it compiles, caches and
    // downloads. The cache's contents were written by that user already unless its root says
    // otherwise (new, or from before apps had uids of their own). The runtime cache belongs to the
    // fill user (builds only read it).
    await chownTree([ctx.hostBuildDir, ctx.hostBuildpacks], ctx.user);
    if (process.getuid?.() === 0 && (await stat(ctx.hostCache)).uid !== ctx.user!.uid) await chownTree([ctx.hostCache], ctx.user);
  }

  /** Refuses the build, saying why, while the data dir's disk is nearly full. */
  private async checkFreeDisk(): Promise<void> {
    const full = await this.o.diskFull?.();
    if (full) throw new BuildFailure(`This build was not started: ${full}.\nNothing was changed; running dynos keep serving. Push again once the operator has freed space.`);
    const fs = await statfs(this.o.dataDir);
    const free = fs.bavail * fs.bsize;
    if (free < this.o.minFreeDiskBytes) {
      throw new BuildFailure(`The platform's disk is nearly full (${formatSize(free)} free; builds need ${formatSize(this.o.minFreeDiskBytes)}, SLIPWAY_BUILD_MIN_FREE_DISK), so this build was not started.\nNothing was changed: push again once the operator has freed space.`);
    }
  }

  private async chooseBuildpacks(ctx: Ctx): Promise<BuildpackSource[]> {
    const out = ctx.req.output;
    const installed = await this.o.db.selectFrom('buildpack_installations').select('url').where('app_id', '=', ctx.req.app.id).orderBy('ordinal').execute();
    const urls = installed.length ? installed.map((r) => r.url) : ctx.buildpackUrlVar ? [ctx.buildpackUrlVar] : [];
    if (urls.length === 0) {
      out('-----> Determining which buildpack to use for this app\n');
      const candidates = builtinBuildpacks(this.o.builtinRoot);
      ctx.names = candidates.map((c) => c.name);
      for (let i = 0; i < candidates.length; i++) {
        await materialize(candidates[i]!, join(ctx.hostBuildpacks, String(i)));
      }
      await chownTree([ctx.hostBuildpacks], ctx.user);
      // Each candidate's bin/detect in turn, as separate steps would run them, in one container (a
      // container's start costs more than most detects): the first to exit 0 is printed, index first.
      const inTurn = candidates.map((_, i) => `if out=$(/tmp/buildpacks/${i}/bin/detect ${ctx.buildDir}); then printf '%s\\n%s\\n' ${i} "$out"; exit 0; fi; `).join('');
      const r = await this.step(ctx, 0, `${inTurn}exit 1`, [], undefined, true, undefined, 'detect (built-in buildpacks in turn)');
      const [first, ...printed] = r.stdout.split('\n');
      const i = r.code === 0 && /^\d+$/.test(first ?? '') ? Number(first) : -1;
      if (i >= 0 && i < candidates.length) {
        ctx.detected = printed.join('\n').trim().split('\n')[0] || candidates[i]!.name;
        await rm(ctx.hostBuildpacks, { recursive: true });
        await materialize(candidates[i]!, join(ctx.hostBuildpacks, '0'));
        ctx.names = [candidates[i]!.name];
        await chownTree([ctx.hostBuildpacks], ctx.user);
        return [candidates[i]!];
      }
      throw new BuildFailure([
        'No default language could be detected for this app.',
        '\t\t\tHINT: This occurs when Slipway cannot detect the buildpack to use for this application automatically.',
        '\t\t\tSet one with `slipway buildpacks:set heroku/nodejs` (or a git URL), or add a Procfile.',
      ].join('\n'));
    }
    const packs = urls.map((u) => resolveBuildpack(u, this.o.builtinRoot, this.o.localBuildpackDirs));
    ctx.names = packs.map((p) => p.name);
    if (packs.length === 1) out(`-----> Using buildpack: ${packs[0]!.name}\n`);
    else out(`-----> Using buildpacks:\n${packs.map((p, i) => `       ${i + 1}. ${p.name}\n`).join('')}`);
    for (let i = 0; i < packs.length; i++) await materialize(packs[i]!, join(ctx.hostBuildpacks, String(i)));
    await chownTree([ctx.hostBuildpacks], ctx.user);
    const last = packs.length - 1;
    const r = await this.step(ctx, last, `bin/detect ${ctx.buildDir}`, [], undefined, true);
    if (r.code !== 0) throw new BuildFailure(`App not compatible with buildpack: ${packs[last]!.name}`);
    ctx.detected = r.stdout.trim().split('\n')[0] || packs[last]!.name;
    return packs;
  }

  private async defaultProcessTypes(ctx: Ctx, count: number): Promise<Record<string, string>> {
    const i = count - 1;
    if (!existsSync(join(ctx.hostBuildpacks, String(i), 'bin', 'release'))) return {};
    const r = await this.step(ctx, i, `bin/release ${ctx.buildDir}`, [], undefined, true);
    if (r.code !== 0) throw new BuildFailure(`The buildpack's bin/release exited with status ${r.code}.`);
    let doc: unknown;
    try { doc = parseYaml(r.stdout); } catch (e) { throw new BuildFailure(`The buildpack's bin/release printed invalid YAML: ${(e as Error).message}`); }
    const types = (doc as { default_process_types?: Record<string, unknown> } | null)?.default_process_types ?? {};
    return Object.fromEntries(Object.entries(types).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  }

  private async packSlug(ctx: Ctx, processTypes: Record<string, string>): Promise<SlugsTable> {
    const tmp = join(this.o.dataDir, 'builds', `${ctx.build.id}.slug.tgz`);
    // The pack reads what the build left (a sparse file of terabytes compresses to little): it gets the
    // build's deadline, and stops writing at the slug size limit.
    const signal = AbortSignal.timeout(Math.max(1, ctx.deadline - Date.now()));
    // The runtime left as the layer is (runtime-layer.ts): the app part is the build's own dir, the
    // runtime the recorded layer, unread; else the tree the build saw, packed whole.
    const kept = ctx.layer && this.o.blobs.has(ctx.layer.layer.blob) && (await runtimeUntouched(ctx.hostBuildDir, ctx.layer.skeleton))
      && (await slugIgnoreOf(ctx.hostBuildDir)).length === 0 ? ctx.layer.layer : undefined;
    const dir = kept || !ctx.layer ? ctx.hostBuildDir : ctx.layer.merged;
    const packed = await ctx.phases.time('slug pack', () => packSlug(dir, tmp, { layers: SLUG_LAYERS, layerStore: this.o.blobs, known: kept ? [kept] : [], signal }).catch((err) => {
      if (signal.aborted) throw new BuildFailure(`Timed out compressing the slug (the build timeout is ${Math.round(this.o.timeoutMs / 1000)} s).`);
      throw err;
    }));
    for (const l of packed.reused) ctx.req.output(`       Reused the compressed ${l.path} of an earlier build (unchanged, ${formatSize(l.bytes)}${l.path === kept?.path ? '; not copied, not read' : ''})\n`);
    const { sha256 } = await ctx.phases.time('upload', () => this.o.blobs.put(tmp));
    const slug: SlugsTable = {
      id: randomUUID(), app_id: ctx.req.app.id, blob: sha256, size: packed.size, layers: packed.layers.length ? JSON.stringify(packed.layers) : null, checksum: packed.checksum ?? null, process_types: JSON.stringify(processTypes),
      commit: ctx.req.commit || null, commit_description: null, stack: this.o.runtime.stack,
      buildpack_provided_description: ctx.detected, created_at: now(),
    };
    await this.o.db.insertInto('slugs').values(slug).execute();
    return slug;
  }

  /**
   * Runs `script` of buildpack `index` in a build container, after sourcing earlier buildpacks' exports;
   * `fill` runs a runtime-cache fill instead: its own copy of the source, cache and env, the runtime cache writable.
   */
  private step(ctx: Ctx, index: number, script: string, exports: string[], onOutput: ((s: string) => void) | undefined, capture: boolean, fill?: FillDirs, shell?: string) {
    const bp = `/tmp/buildpacks/${index}`;
    const sources = exports.map((e) => `. ${e}; `).join('');
    const spec: ContainerSpec = {
      id: `${this.o.containerPrefix}build-${ctx.short}-${randomUUID().slice(0, 6)}`,
      hostname: 'build',
      argv: ['/bin/bash', '-c', `${sources}cd ${ctx.buildDir} && ${shell ? script : `exec ${bp}/${script}`}`],
      env: {
        PATH: STACK_ENV_PATH, HOME: '/tmp/home', LANG: 'C.UTF-8', STACK: this.o.runtime.stack,
        SOURCE_VERSION: ctx.req.commit, SLIPWAY_RUNTIME_CACHE: '/tmp/runtimes',
        // The cache entries the runtime layer at .heroku/node was made from (nodejs buildpack: kept when resolved).
        ...(ctx.layer && !fill ? { SLIPWAY_NODE_LAYER: ctx.layer.layer.entries.join(' ') } : {}),
      },
      cwd: '/tmp',
      mounts: [
        { source: fill?.buildDir ?? ctx.layer?.merged ?? ctx.hostBuildDir, destination: ctx.buildDir, readonly: false },
        { source: fill?.cacheDir ?? ctx.hostCache, destination: '/tmp/cache', readonly: false },
        { source: fill?.envDir ?? ctx.hostEnvDir, destination: '/tmp/env', readonly: true },
        { source: ctx.hostBuildpacks, destination: '/tmp/buildpacks', readonly: !!fill },
        { source: this.runtimeCache, destination: '/tmp/runtimes', readonly: !fill },
      ],
      memoryLimitBytes: 4 * 1024 ** 3,
      pidsLimit: 4096,
      tmpBytes: 2 * 1024 ** 3,
      tenant: fill ? FILL_TENANT : ctx.req.app.id,
    };
    const name = shell ?? `${script.split(' ')[0]!.replace('bin/', '')} ${ctx.names[index] ?? index}`;
    const start = Date.now();
    return ctx.phases.time(name, () => runStep({
      runtime: this.o.runtime, spec, onOutput, captureStdout: capture, deadline: ctx.deadline,
      onStarted: () => ctx.phases.add(`container start (${name})`, start),
    }));
  }
}

interface Ctx {
  req: BuildRequest;
  build: BuildsTable;
  deadline: number;
  short: string;
  hostBuildDir: string;
  hostEnvDir: string;
  hostBuildpacks: string;
  hostCache: string;
  buildDir: string;
  detected: string;
  buildpackUrlVar?: string;
  phases: Phases;
  /** The buildpacks' names by index, for the phases. */
  names: string[];
  /** The app's own uid and gid (runtime tenants); set first thing in prepareDirs. */
  user?: { uid: number; gid: number };
  /** The runtime layer mounted under the build dir (runtime-layer.ts), when it is. */
  layer?: MountedLayer & { layer: RecordedLayer };
}

/** The runtime tenant that runs runtime-cache fills and owns the cache (never an app's). */
const FILL_TENANT = 'slipway:runtime-fill';

class BuildFailure extends Error {}

/** Thrown by a build request's checkout to refuse the build with a message for the pusher. */
export class BuildRejected extends BuildFailure {}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
