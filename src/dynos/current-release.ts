// The release dynos run, as the dyno manager needs it: its slug blob, decrypted config and process types;
// and the dyno metadata variables made from it.
import { slugLayers } from '../slugs/index.ts';
import type { Db } from '../store/index.ts';
import { apiTime } from '../store/time.ts';

export interface CurrentRelease {
  id: string;
  version: number;
  blob: string;
  /** The slug's layers' blobs, in the order they stack beneath the app part. */
  layers: string[];
  config: Record<string, string>;
  processTypes: Record<string, string>;
  createdAt: string;
  description: string;
  commit: string | null;
}

/**
 * The newest release that went live (succeeded), or the given one whatever its status (the release
 * phase runs on a pending release). Undefined when the app has none with a slug.
 */
export async function currentRelease(db: Db, decodeConfig: (stored: string, release: { app_id: string; id: string }) => Record<string, string>, appId: string, releaseId?: string): Promise<CurrentRelease | undefined> {
  let q = db.selectFrom('releases').innerJoin('slugs', 'slugs.id', 'releases.slug_id')
    .select(['releases.id', 'releases.version', 'releases.config', 'releases.created_at', 'releases.description', 'slugs.blob', 'slugs.layers', 'slugs.process_types', 'slugs.commit'])
    .where('releases.app_id', '=', appId);
  q = releaseId ? q.where('releases.id', '=', releaseId) : q.where('releases.status', '=', 'succeeded');
  const r = await q.orderBy('releases.version', 'desc').limit(1).executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id, version: r.version, blob: r.blob, layers: slugLayers(r.layers).map((l) => l.blob), config: decodeConfig(r.config, { app_id: appId, id: r.id }), processTypes: JSON.parse(r.process_types),
    createdAt: r.created_at, description: r.description, commit: r.commit,
  };
}

/** Heroku's dyno metadata variables (the `runtime-dyno-metadata` feature). */
export function dynoMetadata(app: { id: string; name: string }, domain: string, release: CurrentRelease, dynoId: string): Record<string, string> {
  return {
    HEROKU_APP_ID: app.id, HEROKU_APP_NAME: app.name, HEROKU_APP_DEFAULT_DOMAIN_NAME: `${app.name}.${domain}`,
    HEROKU_DYNO_ID: dynoId, HEROKU_RELEASE_VERSION: `v${release.version}`,
    HEROKU_RELEASE_CREATED_AT: apiTime(release.createdAt),
    ...(release.commit ? { HEROKU_SLUG_COMMIT: release.commit, HEROKU_BUILD_COMMIT: release.commit } : {}),
    HEROKU_SLUG_DESCRIPTION: release.description, HEROKU_BUILD_DESCRIPTION: release.description,
  };
}
