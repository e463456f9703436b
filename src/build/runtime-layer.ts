// The Node runtime as a shared layer in builds. A runtime-cache fill (runtime-fill.ts) leaves the
// runtime its buildpack installed (`.heroku/node`: node and npm, before anything of the app runs); the
// platform stores it as a slug layer (slugs/layers.ts) and records it with the fill's plan. A later
// build with that plan gets it at `.heroku/node` under an overlay of its own, instead of a copy:
//
//   lower: the layer unpacked once per machine (`<data>/build-layers/<blob>`, its entries nobody's, as
//          the layer records them: no build or dyno runs as nobody, so none can write it);
//   upper: the build's own dir (its checkout), where every write of the build lands, plus the layer's
//          directories made empty, owned by the app, with the layer's modes and times.
//
// Those directories let the build do in its runtime what it could with a copy (the buildpack replacing
// node with another version, yarn's and pnpm's bins linked into `bin`, a build script swapping a file):
// a file it removes or renames becomes a whiteout in its upper dir, one it adds is its own; a file of
// the layer it cannot write in place (not its owner), and overlayfs never writes a lower dir. After
// the build the directories are checked: when each is the one made here, unchanged (inode and ctime:
// ctime cannot be set from user space; an entry added or removed, a chmod or an opaque flag all change
// it) and nothing else is under `.heroku/node`, the runtime is the layer's, byte for byte, and the pack
// takes the recorded layer without reading it; else the merged tree is packed as before (hashed, a
// layer of its own when it differs).
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRealDirectory, type LayerBlobs, layerTarArgs, type SlugLayer, storeLayer, unpackLayer, walkTree } from '../slugs/index.ts';
import { runCommand } from '../supervise/command.ts';

/** Where the runtime is in a built app. */
export const RUNTIME_LAYER_PATH = '.heroku/node';

/** A layer made from a fill, as its plan records it: the cache entries it was made from with it. */
export interface RecordedLayer extends SlugLayer {
  /** The runtime-cache entries the fill installed it from (the buildpack keeps the layer when it resolves the same). */
  entries: string[];
}

/** Whether `v` is a layer as a plan records it (plans are the platform's, but read back defensively). */
export function isRecordedLayer(v: unknown): v is RecordedLayer {
  const l = v as RecordedLayer | undefined;
  return !!l && l.path === RUNTIME_LAYER_PATH && typeof l.blob === 'string' && /^[0-9a-f]{64}$/.test(l.blob) && Number.isSafeInteger(l.size)
    && Array.isArray(l.entries) && l.entries.every((e) => typeof e === 'string' && /^[\w.@%+-]+(\/[\w.@%+-]+)*$/.test(e));
}

/**
 * The runtime a fill left in its build dir, stored as a layer (its member reused when one was stored
 * before for the same tar stream): undefined when the fill left none. Packed as the slug pack packs it,
 * so an unchanged runtime in a build's slug is the same layer.
 */
export async function layerFromFill(fillBuildDir: string, blobs: LayerBlobs, tmp: string): Promise<SlugLayer | undefined> {
  if (!isRealDirectory(fillBuildDir, RUNTIME_LAYER_PATH)) return undefined;
  const layer = await storeLayer(RUNTIME_LAYER_PATH, layerTarArgs(fillBuildDir, [], RUNTIME_LAYER_PATH), blobs, tmp);
  return layer ? { path: layer.path, blob: layer.blob, size: layer.size } : undefined;
}

/** What is under `.heroku/node` in a build's upper dir right after the mount: the layer's directories, by path (type, inode, ctime). */
export type Skeleton = Map<string, string>;

export interface MountedLayer {
  /** The build dir as the build sees it (the overlay). */
  merged: string;
  skeleton: Skeleton;
}

/**
 * Unpacks `layer` once per machine and mounts the build dir `upper` with it as `merged`. Undefined
 * (nothing mounted, the build goes on as without the layer) when the app has its own `.heroku/node`,
 * a `.heroku` that is not a directory, or a path overlayfs could misread.
 */
export async function mountRuntimeLayer(o: { dataDir: string; blobs: LayerBlobs; layer: SlugLayer; upper: string; work: string; user: { uid: number; gid: number } }): Promise<MountedLayer | undefined> {
  const lower = join(o.dataDir, 'build-layers', o.layer.blob);
  const merged = join(o.work, 'merged');
  const overlayWork = join(o.work, 'layer-work');
  if ([lower, o.upper, merged, overlayWork].some((p) => /[,:\\]/.test(p))) return undefined;
  if (!o.blobs.has(o.layer.blob)) return undefined;
  if (await lstat(join(o.upper, RUNTIME_LAYER_PATH)).then(() => true, () => false)) return undefined;
  const heroku = await lstat(join(o.upper, '.heroku')).catch(() => undefined);
  if (heroku && !heroku.isDirectory()) return undefined;
  // Kept from collection while the build uses it (housekeeping's grace period, by the blob's age).
  await o.blobs.touch(o.layer.blob);
  // Root's alone above the copy: nothing but the overlay reaches it.
  await mkdir(join(o.dataDir, 'build-layers'), { recursive: true, mode: 0o700 });
  await unpackLayer(o.blobs.path(o.layer.blob), lower, { owner: 'recorded' });
  if (!heroku) {
    await mkdir(join(o.upper, '.heroku'), { mode: 0o755 });
    await runCommand('chown', ['-h', `${o.user.uid}:${o.user.gid}`, join(o.upper, '.heroku')]);
  }
  const dirs = await layerDirs(lower);
  if (!dirs) return undefined;
  // The layer's directories, the app's, with their modes and times: a tar of them alone, made and
  // unpacked by two processes (hundreds of directories for npm; one call each would take longer).
  const list = join(o.work, 'layer-dirs.list');
  const skeletonTar = join(o.work, 'layer-dirs.tar');
  await writeFile(list, dirs.map((d) => `./${join(RUNTIME_LAYER_PATH, d)}\0`).join(''));
  await runCommand('tar', ['-C', lower, '-cf', skeletonTar, '--no-recursion', '--null', '-T', list, '--format=gnu', `--owner=:${o.user.uid}`, `--group=:${o.user.gid}`, '--numeric-owner']);
  await runCommand('tar', ['-C', o.upper, '-xf', skeletonTar, '--same-owner', '--numeric-owner', '--same-permissions', '--delay-directory-restore']);
  await rm(skeletonTar, { force: true });
  await mkdir(merged, { recursive: true });
  await mkdir(overlayWork, { recursive: true });
  try {
    await runCommand('mount', ['-t', 'overlay', 'slipway-build-layer', '-o', `lowerdir=${lower},upperdir=${o.upper},workdir=${overlayWork}`, merged]);
  } catch (err) {
    await rm(join(o.upper, RUNTIME_LAYER_PATH), { recursive: true, force: true });
    throw err;
  }
  // overlayfs marks an upper directory with its lower origin the first time it looks it up (an xattr:
  // its ctime moves): all looked up here, before the marks are taken.
  await runCommand('find', [join(merged, RUNTIME_LAYER_PATH), '-false']);
  const skeleton = await upperMarks(o.upper);
  return { merged, skeleton };
}

/**
 * Whether the build left its runtime as the layer is: under `.heroku/node` its upper dir holds only the
 * directories made for the layer, each unchanged since (same inode, same ctime).
 */
export async function runtimeUntouched(upper: string, skeleton: Skeleton): Promise<boolean> {
  const now = await upperMarks(upper).catch(() => undefined);
  return !!now && now.size === skeleton.size && [...now].every(([rel, mark]) => skeleton.get(rel) === mark && mark.startsWith('d '));
}

/** What is under `.heroku/node` in a build's upper dir: path → `type inode ctime` (`find`: one process, ctime to the nanosecond). */
async function upperMarks(upper: string): Promise<Skeleton> {
  const { stdout } = await runCommand('find', [join(upper, RUNTIME_LAYER_PATH), '-printf', '%y %i %C@ %P\\0'], { maxBuffer: 64 * 1024 ** 2 });
  const marks: Skeleton = new Map();
  for (const rec of stdout.split('\0').slice(0, -1)) {
    const [type, ino, ctime, ...rel] = rec.split(' ');
    marks.set(rel.join(' '), `${type} ${ino} ${ctime}`);
  }
  return marks;
}

/** The layer's directories (relative to `.heroku/node`, '' itself first), by lower dir: walked once per process. */
const dirLists = new Map<string, string[]>();

async function layerDirs(lower: string): Promise<string[] | undefined> {
  const known = dirLists.get(lower);
  if (known) return known;
  const { entries, complete } = await walkTree(join(lower, RUNTIME_LAYER_PATH), { sort: true });
  if (!complete) return undefined;
  const dirs = ['', ...entries.filter(([, st]) => st.isDirectory()).map(([rel]) => rel)];
  if (dirLists.size >= 64) dirLists.delete(dirLists.keys().next().value!);
  dirLists.set(lower, dirs);
  return dirs;
}
