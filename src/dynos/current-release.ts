// The release dynos run, as the dyno manager needs it: its slug blob, decrypted config and process types.
import type { Db } from '../store/index.ts';

export interface CurrentRelease {
  id: string;
  version: number;
  blob: string;
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
    .select(['releases.id', 'releases.version', 'releases.config', 'releases.created_at', 'releases.description', 'slugs.blob', 'slugs.process_types', 'slugs.commit'])
    .where('releases.app_id', '=', appId);
  q = releaseId ? q.where('releases.id', '=', releaseId) : q.where('releases.status', '=', 'succeeded');
  const r = await q.orderBy('releases.version', 'desc').limit(1).executeTakeFirst();
  if (!r) return undefined;
  return {
    id: r.id, version: r.version, blob: r.blob, config: decodeConfig(r.config, { app_id: appId, id: r.id }), processTypes: JSON.parse(r.process_types),
    createdAt: r.created_at, description: r.description, commit: r.commit,
  };
}
