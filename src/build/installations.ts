// An app's buildpack installations (`buildpacks:set/add/remove/clear`): the ordered buildpack URLs or names
// its builds use instead of detection. Checked when set, so a typo fails at once rather than at the next push.
import { BuildpackError, buildpackName, resolveBuildpack } from './buildpacks.ts';
import { conflict, invalid } from '../errors.ts';
import type { Db } from '../store/index.ts';

export interface Installation { ordinal: number; url: string; name: string }

export class BuildpackInstallations {
  /** `localBuildpackDirs`: where local-path buildpacks may be (SLIPWAY_LOCAL_BUILDPACKS). */
  constructor(private readonly o: { db: Db; localBuildpackDirs?: readonly string[] }) {}

  async list(appId: string): Promise<Installation[]> {
    const rows = await this.o.db.selectFrom('buildpack_installations').selectAll().where('app_id', '=', appId).orderBy('ordinal').execute();
    return rows.map((r) => ({ ordinal: r.ordinal, url: r.url, name: buildpackName(r.url) }));
  }

  /** Replaces the list (empty: back to detection). */
  async set(appId: string, urls: string[]): Promise<Installation[]> {
    for (const url of urls) {
      // A path buildpack may be put in place after it is named; any other problem is the user's to fix now.
      try { resolveBuildpack(url, '/', this.o.localBuildpackDirs); } catch (e) { if (e instanceof BuildpackError && !/has no bin\/compile/.test(e.message)) throw invalid(e.message); }
    }
    if (new Set(urls).size !== urls.length) throw conflict('The same buildpack is listed twice.');
    await this.o.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('buildpack_installations').where('app_id', '=', appId).execute();
      for (const [i, url] of urls.entries()) await trx.insertInto('buildpack_installations').values({ app_id: appId, ordinal: i, url }).execute();
    });
    return urls.map((url, i) => ({ ordinal: i, url, name: buildpackName(url) }));
  }
}
