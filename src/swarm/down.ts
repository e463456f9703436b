// `slipway swarm:down`: the services (and their secrets) one platform made in the engine, removed. They
// outlive the platform process on purpose (another platform process takes them over), so stopping the
// platform leaves them running and this is how an operator takes them down.
import type Docker from 'dockerode';
import { LABELS } from './service-spec.ts';

export async function swarmDown(docker: Docker, platform: string): Promise<{ services: number; secrets: number }> {
  const label = [`${LABELS.platform}=${platform}`];
  const services = await docker.listServices({ filters: { label } }) as { ID: string }[];
  for (const s of services) await docker.getService(s.ID).remove();
  let secrets = 0;
  // A secret is refused while a task still holds it: the engine lets go within moments of the removal.
  for (let i = 0; i < 60; i++) {
    const left = await docker.listSecrets({ filters: { label } }) as { ID: string }[];
    if (left.length === 0) break;
    for (const s of left) if (await docker.getSecret(s.ID).remove().then(() => true, () => false)) secrets++;
    await new Promise((r) => setTimeout(r, 500));
  }
  return { services: services.length, secrets };
}
