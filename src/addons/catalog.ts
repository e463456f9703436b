// The add-on catalogue: the services this platform offers, their plans with Heroku's names, prices and
// limits, and the pure rules around them: plan lookup with errors
// that list the valid choices, add-on names, attachment names and price text.
import { randomInt } from 'node:crypto';
import { AddonError, type Plan, type Service } from './types.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

const pg = (name: string, cents: number, storage: number, connections: number, tenancy: Plan['tenancy'], extra: Partial<Plan> = {}): Plan => ({
  name, humanName: name.replace(/-(\d+)$/, ' $1').replace(/^\w/, (c) => c.toUpperCase()), cents, tenancy,
  limits: { storage, connections, tables: tenancy === 'shared' ? 4000 : 0 }, ...extra,
});
const kv = (name: string, cents: number, memory: number, connections: number, extra: Partial<Plan> = {}): Plan => ({
  name, humanName: name.replace(/-(\d+)$/, ' $1').replace(/^\w/, (c) => c.toUpperCase()), cents, tenancy: 'dedicated',
  limits: { memory, connections }, ...extra,
});

export const SERVICES: readonly Service[] = [
  {
    name: 'heroku-postgresql', humanName: 'Heroku Postgres', shortName: 'postgresql', provider: 'postgresql',
    primaryAttachment: 'DATABASE', colorPrefix: 'HEROKU_POSTGRESQL',
    plans: [
      pg('essential-0', 500, 1 * GB, 20, 'shared', { default: true }),
      pg('essential-1', 900, 10 * GB, 20, 'shared'),
      pg('essential-2', 2000, 32 * GB, 40, 'shared'),
      pg('standard-0', 5000, 64 * GB, 120, 'dedicated'),
      pg('standard-2', 20000, 256 * GB, 400, 'dedicated'),
      pg('premium-0', 20000, 64 * GB, 120, 'dedicated'),
    ],
  },
  {
    name: 'heroku-redis', humanName: 'Heroku Key-Value Store', shortName: 'redis', provider: 'redis',
    primaryAttachment: 'REDIS', colorPrefix: 'HEROKU_REDIS', tls: true,
    plans: [
      kv('mini', 300, 25 * MB, 20, { default: true }),
      kv('premium-0', 1500, 50 * MB, 40),
      kv('premium-1', 3000, 100 * MB, 80),
      kv('premium-2', 6000, 250 * MB, 200),
      kv('premium-3', 12000, 500 * MB, 400),
      kv('premium-5', 20000, 1 * GB, 1000),
    ],
  },
  {
    // The seed's own example (`heroku addons:add redistogo:nano`): Redis To Go's plans by name, served
    // by the same Redis provider, its URL in REDISTOGO_URL with the `redistogo` user as that add-on had.
    name: 'redistogo', humanName: 'Redis To Go', shortName: 'redistogo', provider: 'redis',
    primaryAttachment: 'REDISTOGO', colorPrefix: 'REDISTOGO', urlUser: 'redistogo',
    plans: [
      kv('nano', 0, 5 * MB, 10, { default: true, humanName: 'Nano' }),
      kv('mini', 900, 20 * MB, 50, { humanName: 'Mini' }),
      kv('small', 3900, 100 * MB, 250, { humanName: 'Small' }),
      kv('medium', 7900, 500 * MB, 500, { humanName: 'Medium' }),
      kv('large', 15900, 1 * GB, 1000, { humanName: 'Large' }),
    ],
  },
  {
    // No server and no config vars: the add-on lets the app's Scheduler jobs run (scheduler/).
    name: 'scheduler', humanName: 'Heroku Scheduler', shortName: 'scheduler', provider: 'scheduler',
    primaryAttachment: 'SCHEDULER', colorPrefix: 'SCHEDULER',
    plans: [{ name: 'standard', humanName: 'Standard', cents: 0, tenancy: 'shared', limits: {}, default: true }],
  },
];

/** Colours for further attachments (Heroku's, as seen in real output). */
export const COLORS = [
  'AMBER', 'AQUA', 'BLACK', 'BLUE', 'BRONZE', 'CHARCOAL', 'CHARTREUSE', 'COBALT', 'COPPER', 'CRIMSON', 'GOLD', 'GREEN',
  'IVORY', 'JADE', 'MAUVE', 'NAVY', 'OLIVE', 'ONYX', 'ORANGE', 'PINK', 'PUCE', 'PURPLE', 'RED', 'ROSE', 'SILVER', 'TEAL',
  'VIOLET', 'WHITE', 'YELLOW',
] as const;

/** Adjectives of generated add-on names (Heroku's list is not public; these are ours). */
const ADJECTIVES = [
  'curved', 'flat', 'encircled', 'graceful', 'contoured', 'solid', 'lively', 'flexible', 'animate', 'defined', 'angular',
  'round', 'shallow', 'deep', 'silent', 'tranquil', 'clear', 'cubic', 'rugged', 'sinuous', 'spherical', 'symmetrical',
  'triangular', 'vertical', 'horizontal', 'opaque', 'polished', 'transparent', 'clean', 'parallel', 'asymmetrical', 'concentric',
];

export function findService(name: string): Service | undefined {
  return SERVICES.find((s) => s.name === name);
}

/**
 * `service[:plan]` → the service and plan, or a 422 naming the valid choices. A bare service takes its
 * default plan.
 */
export function resolvePlan(spec: string): { service: Service; plan: Plan } {
  const [serviceName, planName] = spec.split(':', 2) as [string, string | undefined];
  const service = findService(serviceName);
  if (!service) {
    throw new AddonError(422, 'invalid_params',
      `Couldn't find either the add-on service or the add-on plan of "${spec}". Available services: ${SERVICES.map((s) => s.name).join(', ')}.`);
  }
  const plan = planName === undefined || planName === '' ? service.plans.find((p) => p.default)! : service.plans.find((p) => p.name === planName);
  if (!plan) {
    throw new AddonError(422, 'invalid_params',
      `Couldn't find the plan "${planName}" of ${service.name}. Available plans: ${service.plans.map((p) => `${service.name}:${p.name}`).join(', ')}.`);
  }
  return { service, plan };
}

/** `postgresql-curved-12345`: the service's short name, an adjective and five digits (leading 0 allowed). */
export function generateAddonName(service: Service, rand: (n: number) => number = randomInt): string {
  return `${service.shortName}-${ADJECTIVES[rand(ADJECTIVES.length)]}-${String(rand(100000)).padStart(5, '0')}`;
}

export const ADDON_NAME = /^[a-zA-Z][A-Za-z0-9_-]+$/;

/**
 * The attachment name for a new add-on of `service` on an app whose attachments are `taken`: the
 * primary (`DATABASE`) when free, else `<PREFIX>_<COLOR>` with a colour unused on the app.
 */
export function defaultAttachmentName(service: Service, taken: ReadonlySet<string>, rand: (n: number) => number = randomInt): string {
  if (!taken.has(service.primaryAttachment)) return service.primaryAttachment;
  const free = COLORS.filter((c) => !taken.has(`${service.colorPrefix}_${c}`));
  if (free.length > 0) return `${service.colorPrefix}_${free[rand(free.length)]}`;
  for (let n = 2; ; n++) if (!taken.has(`${service.colorPrefix}_${n}`)) return `${service.colorPrefix}_${n}`;
}

/** `--as foo-db` → `FOO_DB`: attachment names are config var prefixes. Undefined when unusable. */
export function normalizeAttachmentName(name: string): string | undefined {
  const n = name.trim().toUpperCase().replace(/-/g, '_');
  return /^[A-Z][A-Z0-9_]*$/.test(n) ? n : undefined;
}

/** The config vars an attachment sets: `<NAME>_<KEY>` for each key the add-on exposes. */
export function attachmentVars(attachment: string, config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [`${attachment}_${k}`, v]));
}

/** Heroku's price text: `~$0.007/hour`, `$5/month`, `free`. */
export function hourlyPrice(cents: number): string {
  return cents === 0 ? 'free' : `~$${(cents / 100 / 720).toFixed(3)}/hour`;
}
export function monthlyPrice(cents: number): string {
  if (cents === 0) return 'free';
  return cents % 100 === 0 ? `$${cents / 100}/month` : `$${(cents / 100).toFixed(2)}/month`;
}
