// The calling account's SSH keys (`heroku keys`, `keys:add`, `keys:remove`): `/account/keys`, Heroku's
// key shape (`id`, `email`, `public_key`, `comment`, `fingerprint`, `created_at`, `updated_at`).
import { Type } from 'typebox';
import type { ApiDeps } from '../deps.ts';
import type { Api } from '../http.ts';
import { said } from '../schemas.ts';

export type KeyRouteDeps = Pick<ApiDeps, 'sshKeys'>;

const KeyParams = Type.Object({ key: Type.String({ maxLength: 300 }) });
const AddBody = Type.Object({
  public_key: Type.String({ minLength: 1, maxLength: 16 * 1024, ...said('public_key must be an OpenSSH public key line (the .pub file).') }),
}, said('Expected {"public_key": "<the .pub file>"}.'));

export function keyRoutes(api: Api, d: KeyRouteDeps): void {
  api.get('/account/keys', { schema: { summary: "The calling account's SSH keys" } }, async (req) => d.sshKeys.list(req.account));
  api.get('/account/keys/:key', { schema: { summary: 'One SSH key, by id, fingerprint or comment', params: KeyParams } }, async (req) => d.sshKeys.find(req.account, req.params.key));
  api.post('/account/keys', { schema: { summary: 'Add an SSH key (git over SSH authenticates by it)', body: AddBody } }, async (req, reply) => {
    reply.status(201);
    return d.sshKeys.add(req.account, req.body.public_key);
  });
  api.delete('/account/keys/:key', { schema: { summary: 'Remove an SSH key, by id, fingerprint or comment', params: KeyParams } }, async (req) => d.sshKeys.remove(req.account, req.params.key));
}
