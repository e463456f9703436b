// The build and slug ledgers as the Platform API shows them: an app's builds (the Builds API and pushes
// record them, build/index.ts), and slugs made by a build or created for an upload (`POST /apps/{app}/slugs`,
// then a PUT of the tarball to its blob URL). Slug tarballs are content-addressed blobs; a row names one.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.ts';
import { slugFiles } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import { now } from '../store/index.ts';
import type { BuildsTable, SlugsTable } from '../store/schema.ts';

export type BuildRow = BuildsTable;
export type SlugRow = SlugsTable;

export interface NewSlug {
  processTypes: Record<string, string>;
  commit?: string | null;
  commitDescription?: string | null;
  buildpackProvidedDescription?: string | null;
}

export class BuildRecords {
  constructor(private readonly o: { db: Db }) {}

  /** The app's builds, oldest first. */
  list(appId: string): Promise<BuildRow[]> {
    return this.o.db.selectFrom('builds').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();
  }

  async find(appId: string, id: string): Promise<BuildRow> {
    const b = await this.o.db.selectFrom('builds').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
    if (!b) throw notFound('build', "Couldn't find that build.");
    return b;
  }
}

export class SlugRecords {
  constructor(private readonly o: { db: Db; stack: string; blobs: { has(sha256: string): boolean; path(sha256: string): string } }) {}

  /** A slug row waiting for its tarball (uploaded to its blob URL). */
  async create(appId: string, s: NewSlug): Promise<SlugRow> {
    const slug: SlugRow = {
      id: randomUUID(), app_id: appId, blob: '', size: 0, layers: null, checksum: null, process_types: JSON.stringify(s.processTypes), commit: s.commit ?? null,
      commit_description: s.commitDescription ?? null, stack: this.o.stack,
      buildpack_provided_description: s.buildpackProvidedDescription ?? null, created_at: now(),
    };
    await this.o.db.insertInto('slugs').values(slug).execute();
    return slug;
  }

  /** A slug of the app: one it made, or one a release of it uses (a promotion releases another app's very slug). */
  async find(appId: string, id: string): Promise<SlugRow> {
    const s = await this.o.db.selectFrom('slugs').selectAll().where('id', '=', id).where((eb) => eb.or([
      eb('app_id', '=', appId),
      eb.exists(eb.selectFrom('releases').select('releases.id').where('releases.app_id', '=', appId).whereRef('releases.slug_id', '=', 'slugs.id')),
    ])).executeTakeFirst();
    if (!s) throw notFound('slug', "Couldn't find that slug.");
    return s;
  }

  /** The files of the slug whose tarball is blob `sha256` (its layers', then its own), for the swarm's slug fetch; undefined when not stored. */
  async filesOfBlob(sha256: string): Promise<string[] | undefined> {
    const s = await this.o.db.selectFrom('slugs').select(['blob', 'layers']).where('blob', '=', sha256).limit(1).executeTakeFirst();
    return slugFiles(this.o.blobs, s ?? { blob: sha256 });
  }

  /** Whether the slug's tarball (its layers too) is in the blob store (housekeeping removes what no release needs). */
  stored(s: Pick<SlugRow, 'blob' | 'layers'>): boolean {
    return s.blob !== '' && slugFiles(this.o.blobs, s) !== undefined;
  }

  /**
   * A slug this app may release: its own, or another app's (promotion), which gets a row of its own here
   * pointing at the same blob (blobs are content-addressed, so nothing is copied).
   */
  async releasable(appId: string, id: string, mayUse: (appId: string) => Promise<boolean> = async () => true): Promise<SlugRow> {
    const slug = await this.o.db.selectFrom('slugs').selectAll().where('id', '=', id).executeTakeFirst();
    // Another app's slug (a promotion) only for those who reach that app too.
    if (!slug || (slug.app_id !== appId && !(await mayUse(slug.app_id)))) throw notFound('slug', `Couldn't find that slug (${id}).`);
    if (!slug.blob) throw invalid(`Slug ${id} has no tarball yet: PUT it to the slug's blob.url first.`);
    if (!this.stored(slug)) throw invalid(`Slug ${id}'s tarball is no longer stored (removed by housekeeping); build it again.`);
    if (slug.app_id === appId) return slug;
    const copy = { ...slug, id: randomUUID(), app_id: appId, created_at: now() };
    await this.o.db.insertInto('slugs').values(copy).execute();
    return copy;
  }

  /** The blob a slug names (`''` while its tarball is not uploaded), or undefined for no such slug. */
  async blobOf(id: string): Promise<string | undefined> {
    return (await this.o.db.selectFrom('slugs').select('blob').where('id', '=', id).executeTakeFirst())?.blob;
  }

  /** The files of a slug's tarball in order (slugs/ `slugFiles`); undefined when it has none stored. */
  async filesOf(id: string): Promise<string[] | undefined> {
    const s = await this.o.db.selectFrom('slugs').select(['blob', 'layers']).where('id', '=', id).executeTakeFirst();
    return s?.blob ? slugFiles(this.o.blobs, s) : undefined;
  }

  /** Records an uploaded tarball; false when the slug had one already (a slug's tarball never changes). */
  async setBlob(id: string, sha256: string, size: number): Promise<boolean> {
    const r = await this.o.db.updateTable('slugs').set({ blob: sha256, size }).where('id', '=', id).where('blob', '=', '').executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
