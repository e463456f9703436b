// A service's Docker secret: the config vars and the signed slug URL its tasks read (root-only in the
// task until the runner drops privileges), named by a hash of what it holds, so an unchanged release
// keeps its secret and a changed one gets a new one; `docker service inspect` shows neither.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS } from './service-spec.ts';

/** The secret named after `key` (made with `content()` when there is none yet). */
export async function ensureDynoSecret(docker: Docker, s: { platform: string; appId: string; key: string; content: () => string }): Promise<{ id: string; name: string }> {
  const name = `${s.platform}${createHash('sha256').update(s.key).digest('hex').slice(0, 24)}`;
  const found = (await docker.listSecrets({ filters: { name: [name] } }) as { ID: string; Spec?: { Name?: string } }[]).find((x) => x.Spec?.Name === name);
  if (found) return { id: found.ID, name };
  const data = Buffer.from(s.content()).toString('base64');
  const made = await docker.createSecret({ Name: name, Labels: { [LABELS.platform]: s.platform, [LABELS.appId]: s.appId }, Data: data } as never) as { id?: string; ID?: string };
  return { id: made.id ?? made.ID ?? '', name };
}

/** Secrets of the app no service uses any more (one in use is refused by the engine: kept for later). */
export async function sweepDynoSecrets(docker: Docker, platform: string, appId: string, keep?: string): Promise<void> {
  const secrets = await docker.listSecrets({ filters: { label: [`${LABELS.platform}=${platform}`, `${LABELS.appId}=${appId}`] } }) as { ID: string; Spec?: { Name?: string } }[];
  for (const x of secrets) if (x.Spec?.Name !== keep) await docker.getSecret(x.ID).remove().catch(() => undefined);
}
