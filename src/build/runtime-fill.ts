// Before a build's own steps: the runtimes its built-in buildpacks need are in the machine-wide runtime
// cache and checked. The cache is read-only in every build (what one app's build code wrote there,
// another app's build would run); it is filled here instead by the built-in buildpacks' `bin/fill`
// (their compile up to the runtime being cached, so none of the app runs), on a copy of the source,
// without config vars, each in a container of its own with the cache writable, as a tenant of its own
// that owns the cache. Third-party buildpacks never fill it. A fill that fails only costs the build a
// download.
//
// A fill is skipped when it would do nothing: a built-in buildpack names the source files its fill
// reads (`fill-inputs`, one path a line); a fill that succeeded leaves a plan keyed by those files'
// content, the buildpack's own files and the stack, listing the entries it used (their markers, which
// fills touch on use). While the plan is young (`PLAN_TTL_MS`: a version range may resolve to a newer
// release later) and its entries are in the cache with their records, the build uses them without a
// fill. Either way the build then checks only the entries it uses against their records
// (runtime-cache.ts); a build with any other buildpack, which may read any entry, checks them all.
//
// A fill's runtime (what its buildpack installed in the fill's build dir: `.heroku/node`) is stored as a
// slug layer and recorded with its plan (runtime-layer.ts): a build with that plan gets it under an
// overlay instead of copying it.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger/index.ts';
import { hashFile } from '../slugs/index.ts';
import type { BuildpackSource } from './buildpacks.ts';
import { chownTree } from './chown.ts';
import { allSealed, entriesUsedSince, markUsed, sealRuntimeCache, verifyRuntimeCache } from './runtime-cache.ts';
import { isRecordedLayer, type RecordedLayer } from './runtime-layer.ts';
import type { SlugLayer } from '../slugs/index.ts';

/** How long a fill's plan stands in for the fill. */
export const PLAN_TTL_MS = 60 * 60_000;
/** Input files past this are not read for a plan's key (the fill runs instead). */
const MAX_INPUT_BYTES = 64 * 1024 ** 2;

export interface FillDirs { buildDir: string; cacheDir: string; envDir: string }

export interface RuntimeFillOptions {
  /** The cache's trusted part, mounted into builds (runtime-cache.ts `filledDir`). */
  cache: string;
  /** Where plans are kept: the platform's own, never mounted into a build. */
  plansDir: string;
  quotaBytes: number;
  stack: string;
  /** The build's work dir (the fill's copy of the source goes under it) and its checked-out source. */
  workDir: string;
  sourceDir: string;
  /** The fill tenant's uid and gid. */
  filler: () => Promise<{ uid: number; gid: number }>;
  /** Runs buildpack `index`'s `bin/fill` in a build container on `dirs`. */
  runFill: (index: number, dirs: FillDirs, onOutput: (s: string) => void) => Promise<{ code: number | null; timedOut: boolean }>;
  output: (text: string) => void;
  logger: Logger;
  /** Stores the runtime a fill that succeeded left in its build dir as a layer (runtime-layer.ts `layerFromFill`). */
  makeLayer?: (fillBuildDir: string) => Promise<SlugLayer | undefined>;
  /** Whether a layer's member is in the blob store (a plan whose layer is not, collected or another platform's, is not followed). */
  hasLayer?: (blob: string) => boolean;
}

/**
 * Fills (or finds filled) and checks the runtimes the build's buildpacks use. Returns the runtime layers
 * their fills (this one or the plan's) made, by buildpack index.
 */
export async function prepareRuntimes(o: RuntimeFillOptions, packs: BuildpackSource[]): Promise<Map<number, RecordedLayer>> {
  const layers = new Map<number, RecordedLayer>();
  const say = (l: string) => o.logger.warn(`runtime cache: ${l}`);
  const fillers = packs.flatMap((p, i) => (p.kind === 'builtin' && existsSync(join(p.dir, 'bin', 'fill')) ? [{ dir: p.dir, name: p.name, i }] : []));
  for (const { dir, name, i } of fillers) {
    const key = await planKey(o, dir).catch(() => undefined);
    const plan = key ? await readPlan(o.plansDir, key) : undefined;
    const layerGone = !!plan?.layer && !!o.hasLayer && !o.hasLayer(plan.layer.blob);
    if (plan && !layerGone && (await allSealed(o.cache, plan.entries))) {
      const removed = await verifyRuntimeCache(o.cache, say, plan.entries);
      if (removed.length === 0) {
        await markUsed(o.cache, plan.entries);
        o.logger.info(`runtime cache: ${name}'s fill skipped, its runtimes are filled and unchanged (${plan.entries.join(', ')})`);
        if (plan.layer) layers.set(i, plan.layer);
        continue;
      }
    }
    const since = Date.now() - 1000;
    const { ok, layer: made } = await fill(o, i);
    const used = await entriesUsedSince(o.cache, since);
    // Checked before the fill's runtime stands for them (in this build and in a plan): an entry
    // changed behind the platform's back was copied into it.
    const removed = await verifyRuntimeCache(o.cache, say, used);
    const sound = ok && used.length > 0 && removed.length === 0;
    const layer = sound && made ? { ...made, entries: used } : undefined;
    if (layer) layers.set(i, layer);
    if (sound && key) await writePlan(o.plansDir, key, used, layer).catch((err) => o.logger.error({ err }, 'runtime cache: recording a fill plan failed'));
  }
  // The entries the fills and plans used are checked above; a build with any other buildpack may read any.
  if (!packs.every((p) => p.kind === 'builtin')) await verifyRuntimeCache(o.cache, say);
  return layers;
}

/** One buildpack's fill; not ok when it failed (said to the build); with the layer made of its runtime. */
async function fill(o: RuntimeFillOptions, index: number): Promise<{ ok: boolean; layer?: SlugLayer }> {
  const work = join(o.workDir, 'fill');
  const dirs: FillDirs = { buildDir: join(work, 'app'), cacheDir: join(work, 'cache'), envDir: join(work, 'env') };
  let said = '';
  try {
    await rm(work, { recursive: true, force: true });
    await mkdir(dirs.cacheDir, { recursive: true });
    await mkdir(dirs.envDir, { recursive: true });
    await cp(o.sourceDir, dirs.buildDir, { recursive: true, verbatimSymlinks: true });
    // Fills run as a tenant of their own, which owns the runtime cache: no app's uid can write it.
    const filler = await o.filler();
    await chownTree([work], filler);
    if (process.getuid?.() === 0 && (await stat(o.cache)).uid !== filler.uid) await chownTree([o.cache], filler);
    const r = await o.runFill(index, dirs, (s) => void (said = (said + s).slice(-2000)));
    if (r.code !== 0 && !r.timedOut) said ||= `status ${r.code}`;
    else said = '';
  } catch (err) {
    said = (err as Error).message;
  }
  // An entry another build removed meanwhile (over the quota, or pruned by its fill) is no failure of this one.
  await sealRuntimeCache(o.cache, o.quotaBytes, (l) => o.logger.info(`runtime cache: ${l}`))
    .catch((err) => o.logger.error({ err }, 'runtime cache: recording what a fill added failed'));
  let layer: SlugLayer | undefined;
  if (!said && o.makeLayer) layer = await o.makeLayer(dirs.buildDir).catch((err) => void o.logger.error({ err }, 'runtime cache: storing a fill\'s runtime as a layer failed'));
  await rm(work, { recursive: true, force: true });
  if (said) o.output(`       (the runtime cache could not be filled: ${lastLine(said)}; this build fetches its runtime itself)\n`);
  return { ok: !said, layer };
}

/**
 * The key of a fill's plan: the stack, the buildpack's files and the source files its fill reads
 * (`fill-inputs`). None when the buildpack names no inputs. The source is the tenant's: a link or
 * anything but a regular file counts by its type and link text, never followed.
 */
export async function planKey(o: Pick<RuntimeFillOptions, 'stack' | 'sourceDir'>, buildpackDir: string): Promise<string | undefined> {
  const list = await readFile(join(buildpackDir, 'fill-inputs'), 'utf8').catch(() => undefined);
  if (list === undefined) return undefined;
  const h = createHash('sha256').update(`${o.stack}\n`);
  for (const name of (await readdir(buildpackDir, { recursive: true })).sort()) {
    const st = await lstat(join(buildpackDir, name));
    if (st.isFile()) h.update(`bp\0${name}\0${await hashFile(join(buildpackDir, name))}\n`);
  }
  for (const name of list.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    if (name.includes('/') || name === '..') return undefined;
    const file = join(o.sourceDir, name);
    const st = await lstat(file).catch(() => undefined);
    if (!st) h.update(`in\0${name}\0absent\n`);
    else if (st.isFile() && st.size <= MAX_INPUT_BYTES) h.update(`in\0${name}\0${await hashFile(file)}\n`);
    else return undefined;
  }
  return h.digest('hex');
}

interface Plan { entries: string[]; at: number; layer?: RecordedLayer }

async function readPlan(dir: string, key: string): Promise<Plan | undefined> {
  try {
    const plan = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as Plan;
    const fresh = typeof plan.at === 'number' && Date.now() - plan.at < PLAN_TTL_MS && plan.at <= Date.now();
    if (plan.layer !== undefined && !isRecordedLayer(plan.layer)) delete plan.layer;
    return fresh && Array.isArray(plan.entries) && plan.entries.every((e) => typeof e === 'string') ? plan : undefined;
  } catch {
    return undefined;
  }
}

async function writePlan(dir: string, key: string, entries: string[], layer?: RecordedLayer): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${key}.json`);
  const tmp = `${file}.tmp-${randomUUID()}`; // two builds may write one plan at once
  await writeFile(tmp, JSON.stringify({ entries, at: Date.now(), layer } satisfies Plan), { mode: 0o600 });
  await rename(tmp, file);
}

const lastLine = (s: string) => s.trim().split('\n').at(-1)?.replace(/^[\s!>-]+/, '').slice(0, 200) ?? '';
