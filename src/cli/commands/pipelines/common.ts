// What the pipelines commands share: an app's coupling (none when it is in no pipeline), a pipeline's
// apps with their stages, and the shapes the API answers with.
import type { ApiClient } from '../../api.ts';
import { ApiError } from '../../errors.ts';
import type { App } from '../../types.ts';

export interface Pipeline { id: string; name: string; created_at?: string; owner?: { id: string; type: string } }
export interface Coupling { id: string; stage: string; app: { id: string; name?: string | null }; pipeline: { id: string; name: string } }
export interface PromotionTarget { id: string; app: { id: string }; release: { id: string } | null; status: string; error_message: string | null }
export interface StagedApp extends App { id: string; stage: string }

export const STAGE_ORDER = ['review', 'development', 'staging', 'production'];

/** The app's coupling, or undefined when the app is in no pipeline (the API answers 404). */
export async function coupling(api: ApiClient, app: string): Promise<Coupling | undefined> {
  try {
    return await api.get<Coupling>(`/apps/${encodeURIComponent(app)}/pipeline-couplings`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404 && /not in a pipeline/.test(err.message)) return undefined;
    throw err;
  }
}

/** The pipeline's apps, each with its stage, upstream first. */
export async function pipelineApps(api: ApiClient, pipelineId: string): Promise<StagedApp[]> {
  const couplings = await api.get<Coupling[]>(`/pipelines/${encodeURIComponent(pipelineId)}/pipeline-couplings`);
  if (couplings.length === 0) return [];
  const apps = await api.post<App[]>('/filters/apps', { in: { id: couplings.map((c) => c.app.id) } });
  return apps.map((a) => ({ ...a, id: a.id!, stage: couplings.find((c) => c.app.id === a.id)!.stage }))
    .sort((x, y) => STAGE_ORDER.indexOf(x.stage) - STAGE_ORDER.indexOf(y.stage) || x.name.localeCompare(y.name));
}

export const findPipeline = (api: ApiClient, idOrName: string) => api.get<Pipeline>(`/pipelines/${encodeURIComponent(idOrName)}`);
