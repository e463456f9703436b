// app.json, all of it (Heroku's app.json schema): env, addons, buildpacks, formation, scripts
// (postdeploy, pr-predestroy), environments.review and stack. `parseAppJson` checks the whole document
// against a TypeBox schema and then for contradictions, and throws AppJsonError naming the field
// (`app.json env.SECRET: ...`) before anything is created; the rest are pure helpers that turn a parsed
// manifest into what a setup makes (config vars with generated secrets, add-on plans, the review
// environment's overrides). Pure: no I/O.
import { randomBytes } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { DYNO_SIZES, findSize } from '../runtime/sizes.ts';

export class AppJsonError extends Error {}

const Str = (maxLength = 4096) => Type.String({ maxLength });
const EnvEntry = Type.Union([
  Str(32 * 1024),
  Type.Object({
    description: Type.Optional(Str()),
    value: Type.Optional(Str(32 * 1024)),
    required: Type.Optional(Type.Boolean()),
    generator: Type.Optional(Type.Literal('secret')),
  }),
]);
const Addon = Type.Union([
  Str(200),
  Type.Object({ plan: Str(200), as: Type.Optional(Str(100)), options: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
]);
const Formation = Type.Record(Type.String(), Type.Object({
  quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  size: Type.Optional(Str(40)),
}));
const Script = Type.Union([Str(), Type.Object({ command: Str(), size: Type.Optional(Str(40)) })]);
const Scripts = Type.Object({ postdeploy: Type.Optional(Script), 'pr-predestroy': Type.Optional(Script) });
const Buildpacks = Type.Array(Type.Object({ url: Str(2048) }), { maxItems: 20 });
const Overrides = Type.Object({
  env: Type.Optional(Type.Record(Type.String(), EnvEntry)),
  addons: Type.Optional(Type.Array(Addon, { maxItems: 20 })),
  buildpacks: Type.Optional(Buildpacks),
  formation: Type.Optional(Formation),
  scripts: Type.Optional(Scripts),
});
const Manifest = Type.Object({
  name: Type.Optional(Str(200)),
  description: Type.Optional(Str()),
  keywords: Type.Optional(Type.Array(Str(100))),
  website: Type.Optional(Str()),
  repository: Type.Optional(Str()),
  logo: Type.Optional(Str()),
  success_url: Type.Optional(Str()),
  stack: Type.Optional(Str(40)),
  image: Type.Optional(Str()),
  env: Type.Optional(Type.Record(Type.String(), EnvEntry)),
  addons: Type.Optional(Type.Array(Addon, { maxItems: 20 })),
  buildpacks: Type.Optional(Buildpacks),
  formation: Type.Optional(Formation),
  scripts: Type.Optional(Scripts),
  environments: Type.Optional(Type.Record(Type.String(), Overrides)),
});
const checkManifest = Compile(Manifest);
type Raw = Static<typeof Manifest>;
type RawOverrides = Static<typeof Overrides>;

export interface EnvSpec { value?: string; description?: string; required: boolean; generator?: 'secret' }
export interface AddonSpec { plan: string; as?: string; options: Record<string, unknown> }
export interface ScriptSpec { command: string; size?: string }
export interface FormationEntry { quantity: number; size?: string }

/** A checked app.json, normalized. */
export interface AppJson {
  name?: string;
  successUrl?: string;
  stack?: string;
  env: Record<string, EnvSpec>;
  addons: AddonSpec[];
  buildpacks: string[];
  formation: Record<string, FormationEntry>;
  scripts: { postdeploy?: ScriptSpec; prPredestroy?: ScriptSpec };
  /** environments.review, checked as the top level is; applied by `forReview`. */
  review?: Partial<Omit<AppJson, 'name' | 'successUrl' | 'stack' | 'review'>>;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const PROCESS_TYPE = /^[-\w]{1,128}$/;
const ADDON_PLAN = /^[a-z0-9][a-z0-9-]*(:[a-z0-9][a-z0-9-]*)?$/;
const ATTACHMENT = /^[A-Z][A-Z0-9_]{0,62}$/;

/** A value as it may be quoted in a message: short, one line. */
const quote = (v: unknown, max = 40): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
};
/** `/env/A/required` → `env.A.required`; `/addons/0` → `addons[0]`. */
const fieldOf = (pointer: string): string =>
  pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~').slice(0, 60))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');

/** Parses and checks app.json text; throws AppJsonError naming the first field at fault. */
export function parseAppJson(text: string, o: { stacks?: string[] } = {}): AppJson {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the fault: only its first words are kept.
    throw new AppJsonError(`app.json is not valid JSON: ${(e as Error).message.slice(0, 80)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new AppJsonError('app.json must hold a JSON object such as {"env": {}, "formation": {}}.');
  if (!checkManifest.Check(doc)) {
    // The deepest error says the most (a union's own "anyOf" error sits above its branches' errors).
    const errors = [...checkManifest.Errors(doc)];
    const best = errors.filter((e) => e.keyword !== 'anyOf').sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ?? errors[0]!;
    const field = fieldOf(best.instancePath) || 'the top level';
    throw new AppJsonError(`app.json ${field} ${best.message.replace(/^must be (object|array|integer)$/, (_m, t) => `must be ${t === 'integer' ? 'a whole number' : `an ${t}`}`).replace(/^must be (string|boolean|number)$/, 'must be a $1')}.`);
  }
  const raw = doc as Raw;
  if (raw.stack !== undefined && o.stacks && !o.stacks.includes(raw.stack)) {
    throw new AppJsonError(`app.json stack ${quote(raw.stack)} is not available here; this platform runs ${o.stacks.join(' (or ')}${o.stacks.length > 1 ? ')' : ''}. Remove "stack" or use ${o.stacks[0]}.`);
  }
  const top = normalize(raw, '');
  const review = raw.environments?.review ? normalize(raw.environments.review, 'environments.review.') : undefined;
  return { name: raw.name, successUrl: raw.success_url, stack: raw.stack, ...top, review: review ? pickGiven(raw.environments!.review!, review) : undefined };
}

function pickGiven(given: RawOverrides, n: ReturnType<typeof normalize>): AppJson['review'] {
  const out: AppJson['review'] = {};
  if (given.env) out.env = n.env;
  if (given.addons) out.addons = n.addons;
  if (given.buildpacks) out.buildpacks = n.buildpacks;
  if (given.formation) out.formation = n.formation;
  if (given.scripts) out.scripts = n.scripts;
  return out;
}

function normalize(raw: RawOverrides, at: string) {
  const env: Record<string, EnvSpec> = {};
  for (const [key, e] of Object.entries(raw.env ?? {})) {
    if (!ENV_KEY.test(key)) throw new AppJsonError(`app.json ${at}env key ${quote(key)} is not a config var name: use letters, digits and "_", not starting with a digit.`);
    if (typeof e === 'string') { env[key] = { value: e, required: true }; continue; }
    if (e.value !== undefined && e.generator !== undefined) throw new AppJsonError(`app.json ${at}env.${key} has both "value" and "generator": give one of them.`);
    env[key] = { value: e.value, description: e.description, generator: e.generator, required: e.required ?? true };
  }
  const addons: AddonSpec[] = [];
  const names = new Set<string>();
  (raw.addons ?? []).forEach((a, i) => {
    const spec: AddonSpec = typeof a === 'string' ? { plan: a, options: {} } : { plan: a.plan, as: a.as, options: a.options ?? {} };
    if (!ADDON_PLAN.test(spec.plan)) throw new AppJsonError(`app.json ${at}addons[${i}] ${quote(spec.plan)} is not an add-on plan: use "service" or "service:plan", e.g. "heroku-postgresql:essential-0".`);
    if (spec.as !== undefined) {
      if (!ATTACHMENT.test(spec.as)) throw new AppJsonError(`app.json ${at}addons[${i}].as ${quote(spec.as)} is not an attachment name: use capital letters, digits and "_", e.g. "DATABASE".`);
      if (names.has(spec.as)) throw new AppJsonError(`app.json ${at}addons[${i}].as ${quote(spec.as)} is used twice: each add-on needs its own attachment name.`);
      names.add(spec.as);
    }
    addons.push(spec);
  });
  const formation: Record<string, FormationEntry> = {};
  for (const [type, f] of Object.entries(raw.formation ?? {})) {
    if (!PROCESS_TYPE.test(type)) throw new AppJsonError(`app.json ${at}formation key ${quote(type)} is not a process type: use letters, digits, "-" and "_".`);
    formation[type] = { quantity: f.quantity ?? 1, size: f.size === undefined ? undefined : sizeOf(f.size, `${at}formation.${type}.size`) };
  }
  const script = (s: Static<typeof Script> | undefined, field: string): ScriptSpec | undefined => {
    if (s === undefined) return undefined;
    const spec = typeof s === 'string' ? { command: s } : { command: s.command, size: s.size === undefined ? undefined : sizeOf(s.size, `${at}${field}.size`) };
    if (!spec.command.trim()) throw new AppJsonError(`app.json ${at}${field} is empty: give the command to run, e.g. "bin/setup".`);
    return spec;
  };
  return {
    env, addons, formation,
    buildpacks: (raw.buildpacks ?? []).map((b, i) => {
      if (!b.url.trim()) throw new AppJsonError(`app.json ${at}buildpacks[${i}].url is empty: give a buildpack name or URL.`);
      return b.url;
    }),
    scripts: { postdeploy: script(raw.scripts?.postdeploy, 'scripts.postdeploy'), prPredestroy: script(raw.scripts?.['pr-predestroy'], 'scripts.pr-predestroy') },
  };
}

function sizeOf(size: string, field: string): string {
  const found = findSize(size);
  if (!found) throw new AppJsonError(`app.json ${field} ${quote(size)} is not a dyno size; use one of ${DYNO_SIZES.map((s) => s.name).join(', ')}.`);
  return found.name;
}

/** The manifest as a review app sees it: environments.review's sections replace the top level's. */
export function forReview(m: AppJson): AppJson {
  const r = m.review ?? {};
  return {
    ...m,
    env: r.env ? { ...m.env, ...r.env } : m.env,
    addons: r.addons ?? m.addons,
    buildpacks: r.buildpacks ?? m.buildpacks,
    formation: r.formation ?? m.formation,
    scripts: r.scripts ? { ...m.scripts, ...r.scripts } : m.scripts,
  };
}

/** A secret as Heroku's `generator: secret` makes one: 64 hex digits. */
export const generateSecret = (): string => randomBytes(32).toString('hex');

/**
 * The config vars a setup sets: each env entry's value, else the override's, else a generated secret;
 * overrides (App Setups' `overrides.env`) win over values. A required entry left without a value is an
 * error naming every such key, thrown before anything is created.
 */
export function resolveEnv(m: Pick<AppJson, 'env'>, overrides: Record<string, string> = {}, secret: () => string = generateSecret): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, e] of Object.entries(m.env)) {
    const v = overrides[key] ?? e.value ?? (e.generator === 'secret' ? secret() : undefined);
    if (v !== undefined) out[key] = v;
    else if (e.required) missing.push(key);
  }
  for (const [key, v] of Object.entries(overrides)) {
    if (!ENV_KEY.test(key)) throw new AppJsonError(`overrides.env key ${quote(key)} is not a config var name.`);
    out[key] = v;
  }
  if (missing.length) {
    throw new AppJsonError(`app.json env ${missing.map((k) => `${k}${m.env[k]?.description ? ` (${m.env[k]!.description!.slice(0, 60)})` : ''}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required and ${missing.length === 1 ? 'has' : 'have'} no value: give ${missing.length === 1 ? 'it' : 'them'} in overrides.env, or set "required": false.`);
  }
  return out;
}
