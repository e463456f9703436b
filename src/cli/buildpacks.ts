// Shared by the buildpacks:* commands: read and replace an app's ordered buildpack list, print the result.

import type { ApiClient } from './api.ts';
import { CliError } from './errors.ts';
import type { BuildpackInstallation } from './types.ts';
import type { Ui } from './ux.ts';

const path = (app: string) => `/apps/${encodeURIComponent(app)}/buildpack-installations`;

/** What to show for a buildpack: the name the server gives (`heroku/nodejs`) or else its URL. */
export function buildpackLabel(b: BuildpackInstallation): string {
  return b.buildpack.name || b.buildpack.url.replace(/^urn:buildpack:/, '');
}

function ordered(list: BuildpackInstallation[]): BuildpackInstallation[] {
  return [...list].sort((a, b) => (a.ordinal ?? 0) - (b.ordinal ?? 0));
}

export async function fetchBuildpacks(api: ApiClient, app: string): Promise<BuildpackInstallation[]> {
  return ordered(await api.get<BuildpackInstallation[]>(path(app)));
}

/** Replaces the whole list: `{updates:[{buildpack}...]}` in order. Names are sent as typed; the server resolves them. */
export async function putBuildpacks(api: ApiClient, app: string, buildpacks: readonly string[]): Promise<BuildpackInstallation[]> {
  const res = await api.put<BuildpackInstallation[]>(path(app), { updates: buildpacks.map((buildpack) => ({ buildpack })) });
  return ordered(Array.isArray(res) ? res : []);
}

/** Position of a buildpack given by URL or name, -1 when absent. */
export function findBuildpack(list: readonly BuildpackInstallation[], urlOrName: string): number {
  return list.findIndex((b) => b.buildpack.url === urlOrName || b.buildpack.name === urlOrName);
}

export function validateIndex(index: number | undefined): void {
  if (index !== undefined && index <= 0) throw new CliError('Invalid index. Must be greater than 0.');
}

export function ensureNotSet(list: readonly BuildpackInstallation[], urlOrName: string): void {
  if (findBuildpack(list, urlOrName) !== -1) throw new CliError(`The buildpack ${urlOrName} is already set on your app.`);
}

/** `Buildpack added. Next release on A will use X.` and the push hint, as the heroku CLI words them. */
export function displayUpdate(ui: Ui, app: string, remote: string | undefined, list: readonly BuildpackInstallation[], action: string): void {
  const push = `git push ${remote || 'slipway'} main`;
  if (list.length === 1) {
    ui.log(`Buildpack ${action}. Next release on ${app} will use ${buildpackLabel(list[0]!)}.`);
    ui.log(`Run ${push} to create a new release using this buildpack.`);
  } else {
    ui.log(`Buildpack ${action}. Next release on ${app} will use:`);
    list.forEach((b, i) => ui.log(`  ${i + 1}. ${buildpackLabel(b)}`));
    ui.log(`Run ${push} to create a new release using these buildpacks.`);
  }
}

/** Empties the list, then says what the next build detects (a BUILDPACK_URL config var still wins). */
export async function clearBuildpacks(ui: Ui, api: ApiClient, app: string, message: string): Promise<void> {
  await putBuildpacks(api, app, []);
  const vars = await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`);
  for (const v of ['BUILDPACK_URL', 'LANGUAGE_PACK_URL']) {
    if (vars[v]) {
      ui.log(message);
      ui.warn(`The ${v} config var is still set and will be used for the next release`);
      return;
    }
  }
  ui.log(`${message} Next release on ${app} will detect buildpacks normally.`);
}
