// A process type as a Swarm service, pure: the service spec (replicas = quantity, limits from the dyno
// size, restart policy, labels, DYNO from the task slot, the web port published on the task's node), the
// secret that carries the release's config and its signed slug URL; each task runs runner.ts's script
// (the slug-runner design: fetch the slug, unpack to /app, source .profile.d, run as the dyno user).
import { createHash } from 'node:crypto';
import { sizeOrDefault } from '../runtime/sizes.ts';
import { serviceRunner } from './runner.ts';
import { envFile, shellQuote } from './shell.ts';

/** Every label the platform puts on what it makes in the engine. */
export const LABELS = {
  platform: 'slipway.platform', app: 'slipway.app', appId: 'slipway.app_id', release: 'slipway.release',
  type: 'slipway.process_type', spec: 'slipway.spec',
} as const;

/** The port a web dyno's process binds inside its task ($PORT); the engine publishes it on the node. */
export const WEB_PORT = 5000;
/** Where the task finds its secret (config vars and the slug URL, root-only until it drops privileges). */
const SECRET_FILE = '/run/secrets/slipway-dyno';

export interface ServiceInput {
  /** This platform's label value (its container prefix), so two platforms on one swarm never touch each other's. */
  platform: string;
  app: { id: string; name: string };
  release: { id: string; version: number };
  type: string;
  command: string;
  quantity: number;
  size: string;
  preboot: boolean;
  image: string;
  /** The secret's name (made by secretFor). */
  secret: { id: string; name: string };
  /** Swarm's restart delay after a crash, ns. */
  restartDelayNs: number;
}

/** `<platform><app>-<type>`, cut to Swarm's 63 characters with a hash when longer. */
export function serviceName(platform: string, app: string, type: string): string {
  const name = `${platform}${app}-${type}`;
  if (name.length <= 63) return name;
  return `${name.slice(0, 50)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

/** The secret's content: one `NAME='value'` line per config var, and the signed slug URL. */
export function secretContent(config: Record<string, string>, slugUrl: string): string {
  return `${envFile(config)}SLIPWAY_SLUG_URL=${shellQuote(slugUrl)}\n`;
}

/** What decides whether a running service must be updated (its tasks replaced): all of it but the replicas. */
export function specHash(input: ServiceInput): string {
  return (serviceSpec(input).Labels as Record<string, string>)[LABELS.spec]!;
}

/** The Engine API's ServiceSpec for a process type. */
export function serviceSpec(input: ServiceInput): Record<string, unknown> {
  const size = sizeOrDefault(input.size);
  const web = input.type === 'web';
  const labels: Record<string, string> = {
    [LABELS.platform]: input.platform, [LABELS.app]: input.app.name, [LABELS.appId]: input.app.id,
    [LABELS.release]: `v${input.release.version}`, [LABELS.type]: input.type,
  };
  const spec = {
    Name: serviceName(input.platform, input.app.name, input.type),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Labels: labels,
        Hostname: `${input.type}.{{.Task.Slot}}`,
        Command: ['/bin/bash', '-c', serviceRunner(SECRET_FILE, input.command)],
        Env: [
          'PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/app', `DYNO=${input.type}.{{.Task.Slot}}`,
          ...(web ? [`PORT=${WEB_PORT}`] : []),
        ],
        User: '0',
        Dir: '/',
        Init: false,
        StopGracePeriod: 30_000_000_000,
        StopSignal: 'SIGTERM',
        CapabilityDrop: ['ALL'],
        CapabilityAdd: ['CAP_CHOWN', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'],
        Mounts: [{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: size.tmpBytes, Mode: 0o1777 } }],
        Secrets: [{ SecretID: input.secret.id, SecretName: input.secret.name, File: { Name: 'slipway-dyno', UID: '0', GID: '0', Mode: 0o400 } }],
      },
      Resources: {
        Limits: { MemoryBytes: size.hardLimitBytes, Pids: size.pids },
        // The size's CPU weight as a reservation (a standard share is 0.05 of a CPU), and its quota of memory.
        Reservations: { MemoryBytes: size.quotaBytes, NanoCPUs: Math.round((size.cpuShares / 1024) * 50_000_000) },
      },
      RestartPolicy: { Condition: 'any', Delay: input.restartDelayNs, MaxAttempts: 0 },
      // Each task's output is read back through the engine's service log API (task-logs.ts).
      LogDriver: { Name: 'json-file', Options: { 'max-size': '10m', 'max-file': '2' } },
    },
    Mode: { Replicated: { Replicas: input.quantity } },
    // Heroku replaces every dyno of a release at once; preboot starts the new ones first.
    UpdateConfig: { Parallelism: 0, Order: input.preboot && web ? 'start-first' : 'stop-first', FailureAction: 'continue' },
    ...(web ? { EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: WEB_PORT, PublishMode: 'host' }] } } : {}),
  };
  const { Mode: _replicas, ...rest } = spec;
  labels[LABELS.spec] = createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
  return spec;
}
