// `slipway authorizations`, `authorizations:create`, `authorizations:revoke ID`, `authorizations:rotate ID`
// (/oauth/authorizations): tokens for scripts and machines, each revocable on its own.

import { defineCommand, flag, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { styledObject, table } from '../../ux.ts';

interface AuthorizationInfo { id: string; description: string; scope?: string[]; access_token?: { token: string | null; expires_in: number | null } | null }

const show = (a: AuthorizationInfo) => styledObject([
  ['ID', a.id], ['Description', a.description], ['Scope', (a.scope ?? []).join(', ')],
  ...(a.access_token?.token ? [['Token', a.access_token.token] as [string, string]] : []),
  ['Expires', a.access_token?.expires_in ? `in ${a.access_token.expires_in} seconds` : 'never'],
]);

export const list = defineCommand({
  id: 'authorizations',
  aliases: ['authorizations:list'],
  description: 'list your OAuth authorizations (tokens are shown only when made)',
  flags: { json: jsonFlag },
  async run({ flags, api, ui }) {
    const auths = await api.get<AuthorizationInfo[]>('/oauth/authorizations');
    if (flags.json) return ui.json(auths);
    if (auths.length === 0) return ui.log('No OAuth authorizations.');
    ui.lines(table(auths.map((a) => [a.description || '(no description)', a.id, (a.scope ?? []).join(',')])));
  },
});

export const create = defineCommand({
  id: 'authorizations:create',
  description: 'create a new token (shown once)',
  flags: {
    description: flag.string({ char: 'd', helpValue: 'DESCRIPTION', description: 'what the token is for' }),
    'expires-in': flag.integer({ char: 'e', helpValue: 'SECONDS', description: 'how long the token works (default: until revoked)' }),
    short: flag.boolean({ char: 'S', description: 'print only the token' }),
    json: jsonFlag,
  },
  async run({ flags, api, ui }) {
    const a = await api.post<AuthorizationInfo>('/oauth/authorizations', {
      description: flags.description ?? '', ...(flags['expires-in'] ? { expires_in: flags['expires-in'] } : {}),
    });
    if (flags.json) return ui.json(a);
    if (flags.short) return ui.log(a.access_token?.token ?? '');
    ui.lines(show(a));
  },
});

const byId = (verb: string, path: (id: string) => string, method: 'DELETE' | 'POST') => defineCommand({
  id: `authorizations:${verb}`,
  description: verb === 'revoke' ? 'revoke a token (it stops working at once)' : 'give an authorization a new token (the old one stops working)',
  args: [{ name: 'id', description: 'the authorization id', required: true }],
  flags: {},
  async run({ args, api, ui }) {
    if (!args.id) throw new CliError(`Give the authorization id (slipway authorizations lists them), e.g. slipway authorizations:${verb} ID`);
    const a = await ui.action(`${verb === 'revoke' ? 'Revoking' : 'Rotating'} OAuth authorization ${args.id}`,
      () => api.request<AuthorizationInfo>(method, path(encodeURIComponent(args.id!))).then((res) => res.body));
    if (verb === 'rotate') ui.lines(show(a));
  },
});
export const revoke = byId('revoke', (id) => `/oauth/authorizations/${id}`, 'DELETE');
export const rotate = byId('rotate', (id) => `/oauth/authorizations/${id}/actions/regenerate-tokens`, 'POST');
