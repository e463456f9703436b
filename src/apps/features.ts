// An app's labs features (Heroku's `features:enable`): which of the platform's features are on. The
// dyno manager acts on them; this keeps them in the store and tells it when they change.
import { FEATURES } from '../dynos/manager.ts';
import { notFound } from '../errors.ts';
import type { Db } from '../store/index.ts';

export type FeatureName = (typeof FEATURES)[number];
export { FEATURES };

export interface FeaturesOptions {
  db: Db;
  dynos: { setFeatures(appId: string, names: string[]): void };
}

export class Features {
  constructor(private readonly o: FeaturesOptions) {}

  /** The features on for the app. */
  async enabled(appId: string): Promise<Set<string>> {
    return new Set((await this.o.db.selectFrom('app_features').select('name').where('app_id', '=', appId).execute()).map((r) => r.name));
  }

  /** A 404 naming the features there are, unless `name` is one of them. */
  check(name: string): FeatureName {
    if (!(FEATURES as readonly string[]).includes(name)) throw notFound('feature', `Couldn't find that feature (${name}). Features: ${FEATURES.join(', ')}.`);
    return name as FeatureName;
  }

  /** Turns the feature on or off for the app; returns the features now on. */
  async set(appId: string, name: string, enabled: boolean): Promise<Set<string>> {
    this.check(name);
    if (enabled) await this.o.db.insertInto('app_features').values({ app_id: appId, name }).onConflict((oc) => oc.doNothing()).execute();
    else await this.o.db.deleteFrom('app_features').where('app_id', '=', appId).where('name', '=', name).execute();
    const on = await this.enabled(appId);
    this.o.dynos.setFeatures(appId, FEATURES.filter((f) => on.has(f)));
    return on;
  }
}
