// Heroku's response shapes as JSON Schemas, to check what the platform answers: the types come from
// npm `@heroku-cli/schema` (TypeScript declarations of Heroku's Platform API, generated here into JSON
// Schema by ts-json-schema-generator), and since Heroku marks every field optional there, the fields
// whose absence breaks the official CLI (the reference's response checklist) are required on top.
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';

const require = createRequire(import.meta.url);

/** Per Heroku type, the dotted paths the CLI reads and a response must carry. */
export const REQUIRED: Record<string, string[]> = {
  App: ['id', 'name', 'owner.email', 'owner.id', 'region.name', 'stack.name', 'build_stack.name', 'web_url', 'git_url', 'repo_size', 'slug_size',
    'space', 'maintenance', 'acm', 'create_status', 'internal_routing', 'created_at', 'updated_at'],
  Release: ['id', 'version', 'current', 'status', 'eligible_for_rollback', 'user.email', 'created_at', 'description'],
  Dyno: ['id', 'name', 'type', 'state', 'size', 'command', 'updated_at', 'release.version'],
  Formation: ['id', 'type', 'quantity', 'size', 'command'],
  Key: ['id', 'email', 'public_key', 'fingerprint', 'comment', 'created_at', 'updated_at'],
  Account: ['id', 'email'],
  Region: ['id', 'name', 'description', 'private_capable'],
  Stack: ['id', 'name', 'state', 'default'],
  AppFeature: ['id', 'name', 'enabled', 'state', 'description', 'doc_url'],
  Domain: ['id', 'kind', 'hostname', 'cname', 'status'],
  LogDrain: ['id', 'url', 'token'],
  BuildpackInstallations: ['ordinal', 'buildpack.url', 'buildpack.name'],
  Build: ['id', 'status', 'created_at', 'app.id', 'source_blob', 'user.email'],
  ConfigVars: [],
  AddOn: ['id', 'name', 'app.id', 'app.name', 'plan.id', 'plan.name', 'plan.price.cents', 'plan.price.unit', 'addon_service.id', 'addon_service.name',
    'state', 'config_vars', 'billed_price', 'created_at', 'updated_at'],
  AddOnAttachment: ['id', 'name', 'namespace', 'addon.id', 'addon.name', 'addon.app.name', 'app.id', 'app.name', 'created_at', 'updated_at'],
  AddOnService: ['id', 'name', 'human_name', 'state'],
  Plan: ['id', 'name', 'human_name', 'price.cents', 'price.unit', 'default', 'state'],
  Collaborator: ['id', 'role', 'user.id', 'user.email', 'app.id', 'app.name', 'created_at', 'updated_at'],
  Team: ['id', 'name', 'role', 'type', 'created_at', 'updated_at'],
  TeamMember: ['id', 'email', 'role', 'user.email', 'created_at', 'updated_at'],
  Pipeline: ['id', 'name', 'created_at', 'updated_at'],
  PipelineCoupling: ['id', 'stage', 'app.id', 'pipeline.id', 'created_at', 'updated_at'],
  AppWebhook: ['id', 'app.id', 'app.name', 'include', 'level', 'url', 'created_at', 'updated_at'],
  AppWebhookDelivery: ['id', 'event.id', 'event.include', 'webhook.id', 'webhook.level', 'status', 'num_attempts', 'created_at', 'updated_at'],
  AppWebhookEvent: ['id', 'include', 'payload.action', 'payload.resource', 'payload.data', 'created_at', 'updated_at'],
  Slug: ['id', 'blob.method', 'blob.url', 'checksum', 'process_types', 'size', 'stack.name', 'created_at', 'updated_at'],
  AppSetup: ['id', 'status', 'app.id', 'app.name', 'build.id', 'postdeploy.exit_code', 'postdeploy.output', 'created_at', 'updated_at'],
  OAuthAuthorization: ['id', 'description', 'scope', 'access_token.expires_in', 'user.id', 'user.email', 'created_at', 'updated_at'],
};

/** `{required, properties: {...nested}}` for dotted paths, to lay over a type's schema. */
function overlay(paths: string[]): Record<string, unknown> {
  const required = new Set<string>();
  const nested = new Map<string, string[]>();
  for (const p of paths) {
    const [head, ...rest] = p.split('.') as [string, ...string[]];
    required.add(head);
    if (rest.length) nested.set(head, [...(nested.get(head) ?? []), rest.join('.')]);
  }
  return {
    type: 'object', required: [...required],
    properties: Object.fromEntries([...nested].map(([k, v]) => [k, overlay(v)])),
  };
}

export interface HerokuSchemas {
  /** Checks one response body against Heroku's type `type` (or a list of them); returns the problems. */
  check(type: string, body: unknown, list?: boolean): string[];
}

export function herokuSchemas(): HerokuSchemas {
  const path = require.resolve('@heroku-cli/schema/lib/index.d.ts');
  const schema = createGenerator({ path, type: '*', skipTypeCheck: true, expose: 'export', topRef: false, additionalProperties: true }).createSchema('*');
  // json-schema-to-typescript turned the add-on's `actions` (an array of objects in Heroku's JSON schema and
  // answers) into an object-and-array intersection no JSON value satisfies: put back what Heroku's says.
  const definitions = schema.definitions as Record<string, unknown>;
  if (definitions.Actions) definitions.Actions = { type: 'array', items: { type: 'object' } };
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addSchema({ ...schema, $id: 'heroku' });
  const compiled = new Map<string, ValidateFunction>();
  return {
    check(type, body, list = false) {
      const key = `${type}:${list}`;
      if (!compiled.has(key)) {
        if (!(type in REQUIRED)) throw new Error(`no required fields listed for ${type}`);
        const one = { allOf: [{ $ref: `heroku#/definitions/${type}` }, overlay(REQUIRED[type]!)] };
        compiled.set(key, ajv.compile(list ? { type: 'array', items: one } : one));
      }
      const validate = compiled.get(key)!;
      return validate(body) ? [] : (validate.errors ?? []).map((e) => `${type}${e.instancePath} ${e.message}`);
    },
  };
}
