// Who an app belongs to: its collaborators (`/apps/{app}/collaborators`, and the `/teams/apps/...` forms
// the CLI uses for team apps), transfers (`POST /account/app-transfers`, `PATCH /teams/apps/{app}`),
// and teams with their members (`/teams`). apps/access.ts decides who reaches an app.
import { Type } from 'typebox';
import type { Account } from '../../accounts/index.ts';
import type { AppRow } from '../../apps/index.ts';
import { MANAGING_ROLES } from '../../apps/access.ts';
import type { Collaborator } from '../../apps/collaborators.ts';
import type { TeamMember, TeamRow } from '../../apps/teams.ts';
import { apiTime as iso } from '../../store/time.ts';
import type { ApiDeps } from '../deps.ts';
import { invalid, PlatformError } from '../errors.ts';
import type { Api } from '../http.ts';
import { AnyBody, AppName, AppParams, Maybe, Ref, refOf, said } from '../schemas.ts';
import { appView } from './apps.ts';

export type TeamRouteDeps = Pick<ApiDeps, 'apps' | 'accounts' | 'access' | 'teams' | 'collaborators' | 'publicUrl' | 'domain' | 'routerPort'>;

export const collaboratorView = (app: Pick<AppRow, 'id' | 'name'>, c: Collaborator) => ({
  id: c.id, app: { id: app.id, name: app.name }, role: c.role, permissions: [], privileges: [],
  user: { id: c.user.id, email: c.user.email, federated: false, two_factor_authentication: false },
  created_at: iso(c.created_at), updated_at: iso(c.updated_at),
});
const teamView = (t: TeamRow & { role?: string }) => ({
  id: t.id, name: t.name, role: t.role ?? null, type: 'team', default: false, membership_limit: null, provisioned_licenses: false,
  identity_provider: null, enterprise_account: null, created_at: iso(t.created_at), updated_at: iso(t.updated_at),
});

const memberView = (m: TeamMember) => ({
  id: m.id, email: m.email, role: m.role, federated: false, two_factor_authentication: false,
  user: { id: m.id, email: m.email, name: null }, created_at: iso(m.created_at), updated_at: iso(m.updated_at),
});

const USER_TEXT = 'user is required: the email of an account on this platform, e.g. {"user": "dev@example.com"}.';
const AddBody = Type.Object({ user: Ref(USER_TEXT), silent: Maybe(Type.Boolean(), 'silent must be true or false.') }, said(USER_TEXT));
const CollabParams = Type.Object({ app: AppName, collaborator: Type.String({ description: 'collaborator id or email' }) });
const TransferBody = Type.Object({ app: Ref('app is required: the app to transfer.'), recipient: Ref('recipient is required: an email or a team name.') }, said('Expected {"app": "<app>", "recipient": "<email or team>"}.'));
const OwnerBody = Type.Object({ owner: Ref('owner is required: an email or a team name.') }, said('Expected {"owner": "<email or team>"}.'));
const TeamParams = Type.Object({ team: Type.String({ description: 'team id or name' }) });
const MemberParams = Type.Object({ team: Type.String(), member: Type.String({ description: 'member email or id' }) });
const TeamBody = Type.Object({ name: Type.String(said('name is required: the team name.')) }, said('Expected {"name": "<team>"}.'));
const MemberBody = Type.Object({
  email: Type.String(said('email is required: the account to add.')),
  role: Type.String(said('role must be admin or member.')),
}, said('Expected {"email": "dev@example.com", "role": "admin" | "member"}.'));

export function teamRoutes(api: Api, d: TeamRouteDeps): void {
  const show = appView(d);
  const checked = (req: { appAccess?: { app: AppRow } }) => req.appAccess!.app;

  // ---- collaborators ----
  const list = async (req: { appAccess?: { app: AppRow } }) => {
    const app = checked(req);
    return (await d.collaborators.list(app)).map((c) => collaboratorView(app, c));
  };
  api.get('/apps/:app/collaborators', { schema: { summary: 'Everyone who reaches the app, with their role', params: AppParams } }, list);
  api.get('/teams/apps/:app/collaborators', { schema: { params: AppParams } }, list);
  api.get('/apps/:app/collaborators/:collaborator', { schema: { params: CollabParams } }, async (req) => {
    const app = checked(req);
    return collaboratorView(app, await d.collaborators.find(app, req.params.collaborator));
  });
  const add = async (req: { appAccess?: { app: AppRow }; body: { user: string | { id?: string; name?: string; email?: string } } }, reply: { status(n: number): unknown }) => {
    const app = checked(req);
    const u = req.body.user;
    const who = typeof u === 'object' && u ? (u.email ?? refOf(u)) : refOf(u);
    if (!who) throw invalid(USER_TEXT);
    const user = await d.accounts.find(who);
    if (user.disabled_at) throw invalid(`The account ${user.email} is disabled.`);
    reply.status(201);
    return collaboratorView(app, await d.collaborators.add(app, user));
  };
  api.post('/apps/:app/collaborators', { config: { manage: true }, schema: { summary: 'Give an account access to the app', params: AppParams, body: AddBody } }, add);
  api.post('/teams/apps/:app/collaborators', { config: { manage: true }, schema: { params: AppParams, body: AddBody } }, add);
  api.delete('/apps/:app/collaborators/:collaborator', { schema: { summary: "Take an account's access away (anyone may leave)", params: CollabParams, body: AnyBody } }, async (req) => {
    const { app, role } = req.appAccess!;
    const c = await d.collaborators.find(app, req.params.collaborator);
    if (c.user.id !== req.account.id && !MANAGING_ROLES.includes(role)) {
      throw new PlatformError(403, 'forbidden', `Only the owner of ${app.name}${app.team_id ? ' or an admin of its team' : ''} can remove collaborators.`);
    }
    return collaboratorView(app, await d.collaborators.remove(app, req.params.collaborator));
  });

  // ---- transfers ----
  const transfer = async (account: Account, app: AppRow, recipient: string) => {
    if (recipient.includes('@')) {
      const user = await d.accounts.find(recipient);
      if (user.disabled_at) throw invalid(`The account ${user.email} is disabled.`);
      return d.collaborators.transfer(app, { account: user });
    }
    // Into a team: the one transferring must be in it.
    return d.collaborators.transfer(app, { team: await d.teams.forMember(account, recipient) });
  };
  api.post('/account/app-transfers', { config: { ownAccessCheck: true }, schema: { summary: 'Transfer an app to another account or a team (done at once here)', body: TransferBody } }, async (req, reply) => {
    const { app } = await d.access.appFor(req.account, refOf(req.body.app) ?? '', true);
    const recipient = refOf(req.body.recipient) ?? '';
    const moved = await transfer(req.account, app, recipient);
    req.log.info({ app: app.name, to: recipient, by: req.account.email }, 'app transferred');
    const shown = await show(moved);
    reply.status(201);
    return {
      id: app.id, app: { id: app.id, name: app.name }, owner: { id: app.owner_id }, recipient: shown.owner, state: 'accepted',
      created_at: iso(moved.updated_at), updated_at: iso(moved.updated_at),
    };
  });
  api.get('/teams/apps/:app', { schema: { params: AppParams } }, async (req) => show(checked(req)));
  api.patch('/teams/apps/:app', { config: { manage: true }, schema: { summary: 'Transfer an app to a team or an account', params: AppParams, body: OwnerBody } }, async (req) => {
    const app = checked(req);
    const to = refOf(req.body.owner) ?? '';
    const moved = await transfer(req.account, app, to);
    req.log.info({ app: app.name, to, by: req.account.email }, 'app transferred');
    return show(moved);
  });

  // ---- teams ----
  api.get('/teams', { schema: { summary: 'The teams the caller is in' } }, async (req) => (await d.teams.list(req.account.id)).map(teamView));
  api.post('/teams', { schema: { summary: 'Create a team (the caller is its first admin)', body: TeamBody } }, async (req, reply) => {
    const team = await d.teams.create(req.account, req.body.name);
    reply.status(201);
    return teamView({ ...team, role: 'admin' });
  });
  api.delete('/teams/:team', { schema: { summary: 'Delete a team that owns no apps (team admins)', params: TeamParams, body: AnyBody } }, async (req) => {
    const team = await d.teams.forMember(req.account, req.params.team, true);
    await d.teams.destroy(team);
    req.log.info({ team: team.name, by: req.account.email }, 'team deleted');
    return teamView(team);
  });
  api.get('/teams/permissions', { schema: { summary: 'The app permissions a team grants' } }, async () => ['view', 'deploy', 'operate', 'manage'].map((name) => ({ name, description: `${name} the app` })));
  api.get('/teams/:team', { schema: { params: TeamParams } }, async (req) => teamView(await d.teams.forMember(req.account, req.params.team)));
  api.get('/teams/:team/features', { schema: { params: TeamParams } }, async (req) => {
    await d.teams.forMember(req.account, req.params.team);
    return [];
  });
  api.get('/teams/:team/invitations', { schema: { params: TeamParams } }, async (req) => {
    await d.teams.forMember(req.account, req.params.team);
    return [];
  });
  api.get('/teams/:team/apps', { schema: { params: TeamParams } }, async (req) => {
    const team = await d.teams.forMember(req.account, req.params.team);
    return Promise.all((await d.apps.list()).filter((a) => a.team_id === team.id).map(show));
  });
  api.get('/teams/:team/members', { schema: { params: TeamParams } }, async (req) => {
    const team = await d.teams.forMember(req.account, req.params.team);
    return (await d.teams.members(team.id)).map(memberView);
  });
  const setMember = async (req: { account: Account; params: { team: string }; body: { email: string; role: string } }) => {
    const team = await d.teams.forMember(req.account, req.params.team, true);
    const user = await d.accounts.find(req.body.email);
    await d.teams.setMember(team, user, req.body.role);
    return memberView((await d.teams.members(team.id)).find((m) => m.id === user.id)!);
  };
  api.put('/teams/:team/members', { schema: { summary: 'Add a member or change their role (team admins)', params: TeamParams, body: MemberBody } }, setMember);
  api.patch('/teams/:team/members', { schema: { params: TeamParams, body: MemberBody } }, setMember);
  api.delete('/teams/:team/members/:member', { schema: { summary: 'Remove a member (team admins; anyone may leave)', params: MemberParams, body: AnyBody } }, async (req) => {
    const user = await d.accounts.find(req.params.member);
    const team = await d.teams.forMember(req.account, req.params.team, user.id !== req.account.id);
    const member = (await d.teams.members(team.id)).find((m) => m.id === user.id);
    await d.teams.removeMember(team, user);
    return member ? memberView(member) : { id: user.id, email: user.email };
  });
}
