// The one generic image every dyno task runs: the platform's stack root imported once (`docker import`
// through the Engine API) and tagged with the stack's version, so a new stack makes a new image and an
// old one is never reused. Slugs are not baked in: each task fetches its own (service-spec.ts).
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';

/** `slipway-12:<version>`: the engine's own name for the image (a registry's name is pushStackImage's). */
export function stackImageName(stack: string, version: string): string {
  return `${stack}:${version}`;
}

/** Imports the stack root as the image unless the engine has it. */
export async function ensureStackImage(docker: Docker, rootDir: string, image: string, progress: (line: string) => void): Promise<void> {
  const present = await docker.getImage(image).inspect().then(() => true, () => false);
  if (present) return;
  progress(`importing the stack into the engine as ${image} (once)`);
  const [repo, tag] = splitTag(image);
  const tar = spawn('tar', ['--numeric-owner', '-C', rootDir, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString(); });
  const tarDone = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
  const response = await docker.importImage(tar.stdout, { repo, tag });
  await follow(docker, response);
  const code = await tarDone;
  if (code !== 0) throw new Error(`packing the stack root ${rootDir} for the engine failed: ${stderr.trim() || `tar exited with ${code}`}`);
}

/**
 * Pushes the engine's image to a registry (`push`, as `host:port`) and returns the name nodes pull it
 * by (`pull`: the same registry as the nodes reach it). The engine keeps the image under both names, so
 * its own node never needs the registry.
 */
export async function pushStackImage(docker: Docker, image: string, registry: { push: string; pull: string }, progress: (line: string) => void): Promise<string> {
  const [repo, tag] = splitTag(image);
  for (const at of new Set([registry.push, registry.pull])) await docker.getImage(image).tag({ repo: `${at}/${repo}`, tag });
  progress(`pushing ${image} to ${registry.push}`);
  // The engine wants an X-Registry-Auth header even for a registry without auth: an empty one.
  await follow(docker, await docker.getImage(`${registry.push}/${repo}:${tag}`).push({ authconfig: {} }));
  // The push name served its purpose (a loopback port that changes every start): only the pull name stays.
  if (registry.push !== registry.pull) await docker.getImage(`${registry.push}/${repo}:${tag}`).remove({ noprune: true }).catch(() => undefined);
  return `${registry.pull}/${repo}:${tag}`;
}

function splitTag(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
}

/** Waits for an engine progress stream to end; rejects with the error it reports. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const failed = err ?? out.find((o) => o.error);
      if (failed) reject(failed instanceof Error ? failed : new Error(failed.error));
      else resolve();
    });
  });
}
