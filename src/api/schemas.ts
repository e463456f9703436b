// Schema pieces the route files share (TypeBox, compiled by Fastify's Ajv). Objects keep unknown keys and
// ignore them, as Heroku's API does (the CLI sends more than the schema names). A field may carry the
// message a user gets when it is refused (`said`), in the words the domain checks use.
import { Type, type TSchema } from 'typebox';

/** The schema keyword holding a field's refusal message (an OpenAPI extension, so the description stays valid). */
export const ERROR_MESSAGE = 'x-error-message';

/** Options giving a field its refusal message; `{field}` in it becomes the refused value's path (`updates[1].buildpack`). */
export const said = (message: string) => ({ [ERROR_MESSAGE]: message });

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** Optional, and `null` counts as left out (the CLI sends `null` for flags not given). */
export const Maybe = <T extends TSchema>(t: T, message?: string) => Type.Optional(Type.Union([t, Type.Null()], message ? said(message) : {}));

/** A body Heroku reads nothing from (DELETEs and actions); whatever JSON value is sent is ignored. */
export const AnyBody = Type.Unknown({ description: 'ignored' });

/** `"<id or name>"` or `{"id": ...}` / `{"name": ...}`: Heroku accepts both shapes for references. */
export const Ref = (message?: string) => Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) }),
], message ? said(message) : {});

/** The string a `Ref` names (its id, else its name). */
export const refOf = (v: string | { id?: string; name?: string } | null | undefined): string | undefined =>
  typeof v === 'string' ? v || undefined : v?.id || v?.name || undefined;

export const AppName = Type.String({ description: 'app id or name' });
export const AppParams = Type.Object({ app: AppName });
export const IdParams = Type.Object({ id: Type.String() });
