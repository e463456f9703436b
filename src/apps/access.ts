// Who may reach an app: the ONE decision every door asks (the API's routes, git over HTTP, git over SSH).
// A personal app answers to its owner and its collaborators; a team's app to the team's members (admins
// and members) and its collaborators; the operator administers every app (and each use of an app that
// is not the operator's own is logged by the door). Anyone else is told the app does not exist: Heroku's
// `404 not_found "Couldn't find that app."`, so names of apps one cannot reach are not confirmed.
// Changing who owns or reaches an app (destroy, rename, transfer, collaborators) takes more: the owner,
// a team admin or the operator; others with access get `403 forbidden`.
import { notFound, PlatformError } from '../errors.ts';
import type { Logger } from '../logger/index.ts';
import type { Db } from '../store/index.ts';
import type { AppRow } from './index.ts';

/** How an account reaches an app. */
export type AppRole = 'owner' | 'admin' | 'member' | 'collaborator' | 'operator';

/** The roles that may change who owns or reaches an app. */
export const MANAGING_ROLES: readonly AppRole[] = ['owner', 'admin', 'operator'];

/** The row that records the operator's account (accounts/index.ts keeps it). */
const OPERATOR = 'operator_account';

/**
 * THE app-access decision: the role `accountId` holds on app `appId`, or undefined when it has no access
 * (or the app does not exist). Every door calls this and nothing else decides access.
 */
export async function appRoleFor(db: Db, accountId: string, appId: string): Promise<AppRole | undefined> {
  const app = await db.selectFrom('apps').select(['owner_id', 'team_id']).where('id', '=', appId).executeTakeFirst();
  if (!app) return undefined;
  if (app.team_id) {
    const m = await db.selectFrom('team_members').select('role').where('team_id', '=', app.team_id).where('account_id', '=', accountId).executeTakeFirst();
    if (m) return m.role;
  } else if (app.owner_id === accountId) {
    return 'owner';
  }
  const c = await db.selectFrom('collaborators').select('id').where('app_id', '=', appId).where('account_id', '=', accountId).executeTakeFirst();
  if (c) return 'collaborator';
  const op = await db.selectFrom('platform_state').select('value').where('name', '=', OPERATOR).executeTakeFirst();
  return op?.value === accountId ? 'operator' : undefined;
}

export const notYours = () => notFound('app', "Couldn't find that app.");

/** The doors' use of `appRoleFor`: find the app, check, log the operator's use of others' apps. */
export class AppAccess {
  constructor(private readonly o: { db: Db; logger?: Logger }) {}

  /** The role, or undefined; the operator's use of an app not its own is logged. */
  async role(account: { id: string; email: string }, app: { id: string; name: string }, door: string): Promise<AppRole | undefined> {
    const role = await appRoleFor(this.o.db, account.id, app.id);
    if (role === 'operator') this.o.logger?.info({ app: app.name, operator: account.email, door }, 'the operator acts on an app it does not own');
    return role;
  }

  /** The app by id or name, if the account may use it (`manage`: change who owns or reaches it). */
  async appFor(account: { id: string; email: string }, idOrName: string, manage: boolean, door = 'api'): Promise<{ app: AppRow; role: AppRole }> {
    const app = await this.o.db.selectFrom('apps').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    const role = app && await this.role(account, app, door);
    if (!app || !role) throw notYours();
    if (manage && !MANAGING_ROLES.includes(role)) {
      throw new PlatformError(403, 'forbidden', `Only the owner of ${app.name}${app.team_id ? ' or an admin of its team' : ''} can do that.`);
    }
    return { app, role };
  }

  /** Whether the account reaches the app with this id (add-ons and attachments are seen through their apps). */
  async reaches(account: { id: string; email: string }, appId: string, door = 'api'): Promise<boolean> {
    return (await this.role(account, { id: appId, name: appId }, door)) !== undefined;
  }

  /** Whether the account holds a managing role (owner, team admin, operator) on the app with this id. */
  async manages(account: { id: string; email: string }, appId: string, door = 'api'): Promise<boolean> {
    const role = await this.role(account, { id: appId, name: appId }, door);
    return role !== undefined && MANAGING_ROLES.includes(role);
  }

  /** The app with this exact name if the account may use it, else undefined (git's doors: HTTP and SSH). */
  async appNamedFor(account: { id: string; email: string }, name: string, door: string): Promise<AppRow | undefined> {
    const app = await this.o.db.selectFrom('apps').selectAll().where('name', '=', name).executeTakeFirst();
    return app && (await this.role(account, app, door)) ? app : undefined;
  }

  /** Of these apps, the ones the account may use (for lists). */
  async visible<T extends { id: string }>(accountId: string, apps: T[]): Promise<T[]> {
    const roles = await Promise.all(apps.map((a) => appRoleFor(this.o.db, accountId, a.id)));
    return apps.filter((_, i) => roles[i] !== undefined);
  }
}
