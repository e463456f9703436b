// Builds for the CLI: finding one (by id, or the newest) and printing its recorded output.

import type { ApiClient } from './api.ts';
import { CliError } from './errors.ts';
import { pipeOutputStream } from './release-output.ts';
import type { Build } from './types.ts';
import type { Out } from './ux.ts';

/** The build with this id, or the app's newest when `id` is undefined (undefined when it has none). */
export async function findBuild(api: ApiClient, app: string, id: string | undefined): Promise<Build | undefined> {
  const path = `/apps/${encodeURIComponent(app)}/builds`;
  if (id) return api.get<Build>(`${path}/${encodeURIComponent(id)}`);
  const newest = await api.get<Build[]>(path, { headers: { Range: 'created_at ..; max=1, order=desc' }, partial: true });
  return newest[0];
}

/** Streams the build's output_stream_url to `out` until the build's output ends (it follows a running build). */
export async function printBuildOutput(api: ApiClient, build: Build, out: Out): Promise<void> {
  if (!build.output_stream_url) throw new CliError(`Build ${build.id} has no recorded output.`);
  const url = new URL(build.output_stream_url, api.base).href;
  if ((await pipeOutputStream(url, out)) === 'missing') throw new CliError(`The output of build ${build.id} is gone.`);
}
