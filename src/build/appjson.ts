// A build reads the app's app.json (the whole manifest is checked, appjson/, so a malformed or
// contradictory one fails the build naming the field) and keeps its `formation` for the first deploy
// (later deploys keep the formation as scaled). Reading goes through readBuildFile (no links, regular
// files, bounded).
import { join } from 'node:path';
import { AppJsonError, parseAppJson, type AppJson, type FormationEntry } from '../appjson/index.ts';
import { readBuildFile } from '../slugs/build-file.ts';

export { AppJsonError, type FormationEntry } from '../appjson/index.ts';

/** The app.json of a built app dir, checked (its `stack` against `stacks` when given); undefined when it has none. */
export async function readAppJson(appDir: string, stacks?: string[]): Promise<AppJson | undefined> {
  const text = await readBuildFile(join(appDir, 'app.json'), 'app.json', { asError: (m) => new AppJsonError(m) });
  return text === undefined ? undefined : parseAppJson(text, { stacks });
}

/** The formation of a built app dir's app.json; empty when it has none. */
export async function readAppJsonFormation(appDir: string): Promise<Record<string, FormationEntry>> {
  return (await readAppJson(appDir))?.formation ?? {};
}

export function parseAppJsonFormation(text: string): Record<string, FormationEntry> {
  return parseAppJson(text).formation;
}
