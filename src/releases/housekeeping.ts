// Housekeeping of what releases leave on disk: blobs nothing needs any more are removed from the blob
// store with their unpacked copies, and the space freed is logged; so are the outputs of destroyed apps'
// builds and releases, and their build caches; `builds:cache:purge` empties one app's build cache.
// What is needed, and so never removed: the slugs of each app's newest `keep` releases and of its newest
// `keep` releases that went live (the current one and those a rollback may return to, however many
// failed or pending releases came after them), of every pending release, of every dyno running (a
// preboot's old dynos too), every Postgres backup's dump (backups live in the same store), and any
// blob younger than the grace period (an upload not released yet, a build's slug being recorded). A
// slug's layers (slugs/layers.ts, shared by every slug that has them) are needed while one slug that
// lists them is: a layer no kept slug lists is collected with the slugs, its index entry with it.
// Runs shortly after releases and app destroys (coalesced) and every hour; one pass at a time.
// Past the data disk's high-water mark, before a build or slug upload is refused, `makeRoom` collects
// destroyed apps' blobs first, oldest first, without waiting out the grace period.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../slugs/index.ts';
import { formatSize, layerCacheDir, slugLayers, treeBytes } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

const PERIOD_MS = 60 * 60 * 1000;
const DEBOUNCE_MS = 2000;
/**
 * What the grace period shrinks to when the disk is past its high-water mark: a blob named by no row
 * this young may be one a build or upload is recording (its row follows its file by moments).
 */
export const HIGH_WATER_GRACE_MS = 5 * 60 * 1000;

export interface HousekeepingOptions {
  db: Db;
  blobs: BlobStore;
  dataDir: string;
  /** Where build and release output live (`<dir>/builds`, `<dir>/releases`); default `<data>/output`. */
  outputDir?: string;
  /** Releases per app whose slugs are kept. */
  keep: number;
  /**
   * Blobs and slugs younger than this are left alone: an uploaded slug not released yet, or a build's
   * slug whose row is being written.
   */
  graceMs: number;
  logger?: Logger;
  /** The slug blobs running dynos use (their unpacked trees are mounted under /app). */
  inUse: () => Iterable<string>;
}

export class Housekeeping {
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  private readonly logger: Logger;

  constructor(private readonly o: HousekeepingOptions) {
    this.logger = componentLogger(o.logger, 'housekeeping');
  }

  /** At start, before the API listens: slug uploads a crash interrupted are dropped. */
  async start(): Promise<void> {
    await rm(join(this.o.dataDir, 'uploads'), { recursive: true, force: true });
    // Per-app slug layer caches of versions before layers were stored in the blob store: unused now.
    await rm(join(this.o.dataDir, 'slug-cache'), { recursive: true, force: true });
    this.timer = setInterval(() => this.schedule(), PERIOD_MS);
    this.schedule();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  /** A pass soon; calls within a couple of seconds coalesce. */
  schedule(): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.collectSlugs().catch((err) => this.logger.error({ err }, 'slug collection failed'));
    }, DEBOUNCE_MS);
  }

  /** Removes unneeded slug blobs; returns how many and the bytes freed. One pass at a time. */
  collectSlugs(): Promise<{ removed: number; freed: number }> {
    return this.exclusive(() => this.pass());
  }

  /**
   * The disk is past its high-water mark (`full()` says whether it still is): the blobs no slug or backup
   * row names any more (destroyed apps' slugs and Postgres backups; the rows went with the app) are
   * removed oldest first, younger than the grace period too (down to HIGH_WATER_GRACE_MS), until the disk
   * is below the mark; then destroyed apps' build caches; then a regular pass. Returns what it removed.
   */
  makeRoom(full: () => Promise<boolean>): Promise<{ removed: number; freed: number }> {
    return this.exclusive(async () => {
      const named = await this.namedBlobs();
      const cutoff = Date.now() - Math.min(this.o.graceMs, HIGH_WATER_GRACE_MS);
      const orphans: { name: string; mtimeMs: number; size: number }[] = [];
      for (const name of await this.blobNames()) {
        if (named.has(name)) continue;
        const st = await stat(this.o.blobs.path(name)).catch(() => undefined);
        if (st && st.mtimeMs <= cutoff) orphans.push({ name, mtimeMs: st.mtimeMs, size: st.size });
      }
      orphans.sort((a, b) => a.mtimeMs - b.mtimeMs);
      let removed = 0;
      let freed = 0;
      for (const o of orphans) {
        if (!(await full())) break;
        // Stored again meanwhile (a push of the same content touches it): named again, or about to be.
        const st = await stat(this.o.blobs.path(o.name)).catch(() => undefined);
        if (!st || st.mtimeMs > cutoff) continue;
        await this.removeBlob(o.name);
        removed++;
        freed += o.size;
      }
      if (removed) this.logger.warn(`the data disk is past its high-water mark: removed ${removed} slug${removed === 1 ? '' : 's'} of destroyed apps (oldest first), freed ${formatSize(freed)}`);
      if (!(await full())) return { removed, freed };
      const regular = await this.pass();
      return { removed: removed + regular.removed, freed: freed + regular.freed };
    });
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.running) await this.running.catch(() => undefined);
    const pass = fn();
    this.running = pass;
    try {
      return await pass;
    } finally {
      this.running = undefined;
    }
  }

  /** Blobs a row names (a slug, a Postgres backup) or a running dyno uses. */
  private async namedBlobs(): Promise<Set<string>> {
    const named = new Set<string>(this.o.inUse());
    for (const s of await this.o.db.selectFrom('slugs').select(['blob', 'layers']).execute()) {
      named.add(s.blob);
      for (const l of slugLayers(s.layers)) named.add(l.blob);
    }
    for (const b of await this.o.db.selectFrom('addon_backups').select('blob').where('blob', 'is not', null).execute()) named.add(b.blob!);
    return named;
  }

  /** The names (sha256) in the blob store. */
  private async blobNames(): Promise<string[]> {
    const names = await readdir(this.o.blobs.filesDir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n));
  }

  /** A blob and its unpacked copies (a release's or a layer's for dynos, a runtime layer's for builds: build/runtime-layer.ts). */
  private async removeBlob(name: string): Promise<void> {
    await rm(this.o.blobs.path(name), { force: true });
    await rm(join(this.o.dataDir, 'slugs', name), { recursive: true, force: true });
    await rm(join(this.o.dataDir, 'build-layers', name), { recursive: true, force: true });
  }

  /** Layer index entries whose member was collected (slugs/layers.ts): a later build stores it anew. */
  private async collectLayerIndex(): Promise<void> {
    const dir = this.o.blobs.layerIndexDir;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const member = (await readFile(join(dir, name), 'utf8').catch(() => '')).split(' ')[0] ?? '';
      // A young entry may be a build's being written (its member stored a moment before).
      const st = await stat(join(dir, name)).catch(() => undefined);
      if (st && st.mtimeMs < Date.now() - this.o.graceMs && !(/^[0-9a-f]{64}$/.test(member) && this.o.blobs.has(member))) await rm(join(dir, name), { force: true });
    }
  }

  private async pass(): Promise<{ removed: number; freed: number }> {
    const { db, blobs } = this.o;
    const needed = new Set<string>(this.o.inUse());
    const releases = await db.selectFrom('releases').innerJoin('slugs', 'slugs.id', 'releases.slug_id')
      .select(['releases.app_id', 'releases.status', 'slugs.blob']).orderBy('releases.version', 'desc').execute();
    const slugs = await db.selectFrom('slugs').select(['blob', 'layers', 'created_at']).execute();
    const newest = new Map<string, number>();
    const live = new Map<string, number>();
    const count = (m: Map<string, number>, app: string) => {
      const n = (m.get(app) ?? 0) + 1;
      m.set(app, n);
      return n;
    };
    for (const r of releases) {
      if (count(newest, r.app_id) <= this.o.keep) needed.add(r.blob);
      if (r.status === 'succeeded' && count(live, r.app_id) <= this.o.keep) needed.add(r.blob);
      if (r.status === 'pending') needed.add(r.blob);
    }
    const backups = await db.selectFrom('addon_backups').select('blob').where('blob', 'is not', null).execute();
    for (const b of backups) needed.add(b.blob!);
    const referenced = new Set(releases.map((r) => r.blob));
    const cutoff = new Date(Date.now() - this.o.graceMs).toISOString();
    for (const s of slugs) {
      if (!referenced.has(s.blob) && s.created_at > cutoff) needed.add(s.blob);
    }
    // The layers of every slug kept (a slug row lists them; slugs of one blob list the same ones).
    for (const s of slugs) if (needed.has(s.blob)) for (const l of slugLayers(s.layers)) needed.add(l.blob);
    await this.collectCaches();
    await this.collectOutputs();
    let removed = 0;
    let freed = 0;
    for (const name of await this.blobNames()) {
      if (needed.has(name)) continue;
      const st = await stat(blobs.path(name)).catch(() => undefined);
      // A blob this young may belong to a build whose slug row is being written: not yet.
      if (!st || st.mtimeMs > Date.now() - this.o.graceMs) continue;
      freed += st.size;
      await this.removeBlob(name);
      removed++;
    }
    await this.collectLayerIndex();
    if (removed) this.logger.info(`removed ${removed} slug${removed === 1 ? '' : 's'} no release needs (beyond each app's newest ${this.o.keep} releases and live releases), freed ${formatSize(freed)}`);
    return { removed, freed };
  }

  /** Build caches and slug layers of apps that are gone (destroyed), unless a build still has one mounted. */
  private async collectCaches(): Promise<void> {
    const ids = new Set<string>();
    for (const d of ['cache', 'slug-cache']) {
      for (const f of await readdir(join(this.o.dataDir, d)).catch(() => [] as string[])) ids.add(f.replace(/\.img$/, ''));
    }
    if (ids.size === 0) return;
    const apps = new Set((await this.o.db.selectFrom('apps').select('id').execute()).map((a) => a.id));
    const mounted = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
    let freed = 0;
    let removed = 0;
    for (const id of ids) {
      if (apps.has(id) || !/^[0-9a-f-]{36}$/.test(id) || mounted.includes(join(this.o.dataDir, 'cache', id))) continue;
      freed += await this.purgeCache(id);
      removed++;
    }
    if (removed) this.logger.info(`removed the build caches of ${removed} destroyed app${removed === 1 ? '' : 's'}, freed ${formatSize(freed)}`);
  }

  /**
   * Output streams of builds and releases that are gone (their app was destroyed), once older than the
   * grace period: the text and the stream's key row (`output_streams`); also a key row whose output
   * ended and whose build or release is gone.
   */
  private async collectOutputs(): Promise<void> {
    const db = this.o.db;
    for (const table of ['releases', 'builds'] as const) {
      const dir = join(this.o.outputDir ?? join(this.o.dataDir, 'output'), table);
      if (!existsSync(dir)) continue;
      const ids = (await readdir(dir)).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -4));
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const kept = new Set((await db.selectFrom(table).select('id').where('id', 'in', chunk).execute()).map((r) => r.id));
        const orphans = chunk.filter((c) => !kept.has(c));
        const ended = new Set(orphans.length
          ? (await db.selectFrom('output_streams').select('id').where('id', 'in', orphans).where('ended_at', 'is not', null).execute()).map((r) => r.id)
          : []);
        const gone: string[] = [];
        for (const id of orphans) {
          // A stream opens a moment before its build's row is written: a young one still open is left for
          // the next pass. One that ended belongs to a build or release that was made and is gone.
          const st = await stat(join(dir, `${id}.log`)).catch(() => undefined);
          if (!ended.has(id) && st && st.mtimeMs > Date.now() - this.o.graceMs) continue;
          await rm(join(dir, `${id}.log`), { force: true });
          gone.push(id);
        }
        if (gone.length) await db.deleteFrom('output_streams').where('id', 'in', gone).execute();
      }
    }
    await db.deleteFrom('output_streams').where('ended_at', 'is not', null)
      .where('id', 'not in', db.selectFrom('releases').select('id'))
      .where('id', 'not in', db.selectFrom('builds').select('id')).execute();
  }

  /**
   * Empties the app's build cache, with the slug layers kept for its next build; returns the bytes freed.
   * The cache is a filesystem image (`<app>.img`, build/cache-disk.ts) mounted only during builds.
   */
  async purgeCache(appId: string): Promise<number> {
    let freed = 0;
    const cache = join(this.o.dataDir, 'cache', appId);
    for (const dir of [cache, layerCacheDir(this.o.dataDir, appId)]) {
      freed += await treeBytes(dir);
      await rm(dir, { recursive: true, force: true });
    }
    const image = await stat(`${cache}.img`).catch(() => undefined);
    if (image) {
      freed += image.blocks * 512;
      await rm(`${cache}.img`, { force: true });
    }
    return freed;
  }
}
