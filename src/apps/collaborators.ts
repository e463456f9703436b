// Who an app belongs to and who else reaches it: its collaborators (`access`, `access:add`,
// `access:remove`) and transfers of the app to another account or to a team (`apps:transfer`).
// The decision who may reach an app is access.ts's; this file only changes the records it reads.
import { randomUUID } from 'node:crypto';
import { invalid, notFound } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { isUniqueViolation, now, takeTurn } from '../store/index.ts';
import { APPS_PER_ACCOUNT, type AppRow } from './index.ts';
import type { TeamRow } from './teams.ts';

export interface Collaborator {
  id: string;
  user: { id: string; email: string };
  role: 'owner' | 'admin' | 'member' | 'collaborator';
  created_at: string;
  updated_at: string;
}

export class Collaborators {
  /** `onChange`: told of each collaborator added or removed; must return at once (app webhooks). */
  constructor(private readonly o: { db: Db; maxPerAccount?: number; onChange?: (action: 'create' | 'destroy', app: AppRow, c: Collaborator) => void }) {}

  /**
   * Everyone who reaches the app, as Heroku lists them: a personal app's owner (role `owner`) and its
   * collaborators; a team app's members (their team role) and its collaborators.
   */
  async list(app: AppRow): Promise<Collaborator[]> {
    const db = this.o.db;
    const extra = await db.selectFrom('collaborators').innerJoin('accounts', 'accounts.id', 'collaborators.account_id')
      .select(['collaborators.id', 'accounts.id as account_id', 'accounts.email', 'collaborators.created_at', 'collaborators.updated_at'])
      .where('collaborators.app_id', '=', app.id).orderBy('accounts.email').execute();
    const first: Collaborator[] = [];
    if (app.team_id) {
      const members = await db.selectFrom('team_members').innerJoin('accounts', 'accounts.id', 'team_members.account_id')
        .select(['accounts.id', 'accounts.email', 'team_members.role', 'team_members.created_at', 'team_members.updated_at'])
        .where('team_members.team_id', '=', app.team_id).orderBy('accounts.email').execute();
      for (const m of members) first.push({ id: `${app.id}:${m.id}`, user: { id: m.id, email: m.email }, role: m.role, created_at: m.created_at, updated_at: m.updated_at });
    } else {
      const owner = await db.selectFrom('accounts').select(['id', 'email']).where('id', '=', app.owner_id).executeTakeFirst();
      if (owner) first.push({ id: `${app.id}:${owner.id}`, user: owner, role: 'owner', created_at: app.created_at, updated_at: app.updated_at });
    }
    const shown = new Set(first.map((c) => c.user.id));
    return [...first, ...extra.filter((c) => !shown.has(c.account_id)).map((c) => ({
      id: c.id, user: { id: c.account_id, email: c.email }, role: 'collaborator' as const, created_at: c.created_at, updated_at: c.updated_at,
    }))];
  }

  /** One entry of `list` by its id or its user's email or id. */
  async find(app: AppRow, key: string): Promise<Collaborator> {
    const k = key.toLowerCase();
    const c = (await this.list(app)).find((x) => x.id === key || x.user.email === k || x.user.id === k);
    if (!c) throw notFound('collaborator', `${key} is not a collaborator on ${app.name}.`);
    return c;
  }

  async add(app: AppRow, user: { id: string; email: string }): Promise<Collaborator> {
    if (!app.team_id && app.owner_id === user.id) throw invalid(`${user.email} owns ${app.name} already.`);
    const t = now();
    try {
      await this.o.db.insertInto('collaborators').values({ id: randomUUID(), app_id: app.id, account_id: user.id, created_at: t, updated_at: t }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw invalid(`${user.email} is already a collaborator on ${app.name}.`);
      throw err;
    }
    const c = await this.find(app, user.id);
    this.o.onChange?.('create', app, c);
    return c;
  }

  /** Removes an explicit collaborator (the owner and team members are not removed here). */
  async remove(app: AppRow, key: string): Promise<Collaborator> {
    const c = await this.find(app, key);
    if (c.role !== 'collaborator') {
      throw invalid(c.role === 'owner' ? `${c.user.email} owns ${app.name}; transfer the app first (apps:transfer).` : `${c.user.email} reaches ${app.name} as a member of its team; remove them from the team instead (members:remove).`);
    }
    await this.o.db.deleteFrom('collaborators').where('app_id', '=', app.id).where('account_id', '=', c.user.id).execute();
    this.o.onChange?.('destroy', app, c);
    return c;
  }

  /**
   * Gives the app to another account (the previous personal owner stays on as a collaborator, as on
   * Heroku) or to a team. A team app given to an account loses its collaborators (the CLI warns so).
   */
  async transfer(app: AppRow, to: { account: { id: string; email: string } } | { team: TeamRow }): Promise<AppRow> {
    const t = now();
    return this.o.db.transaction().execute(async (trx) => {
      if ('team' in to) {
        if (app.team_id === to.team.id) throw invalid(`${app.name} already belongs to ${to.team.name}.`);
        if (!app.team_id) {
          await trx.insertInto('collaborators').values({ id: randomUUID(), app_id: app.id, account_id: app.owner_id, created_at: t, updated_at: t })
            .onConflict((oc) => oc.columns(['app_id', 'account_id']).doNothing()).execute();
        }
        await trx.updateTable('apps').set({ team_id: to.team.id, updated_at: t }).where('id', '=', app.id).execute();
        return { ...app, team_id: to.team.id, updated_at: t };
      }
      const user = to.account;
      if (!app.team_id && app.owner_id === user.id) throw invalid(`${user.email} owns ${app.name} already.`);
      const max = this.o.maxPerAccount ?? APPS_PER_ACCOUNT;
      await takeTurn(trx, user.id);
      const owned = await trx.selectFrom('apps').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', user.id).where('team_id', 'is', null).executeTakeFirstOrThrow();
      if (Number(owned.n) >= max) throw invalid(`${user.email} has reached the limit of ${max} apps; they must delete one first.`);
      if (app.team_id) {
        await trx.deleteFrom('collaborators').where('app_id', '=', app.id).execute();
      } else {
        await trx.insertInto('collaborators').values({ id: randomUUID(), app_id: app.id, account_id: app.owner_id, created_at: t, updated_at: t })
          .onConflict((oc) => oc.columns(['app_id', 'account_id']).doNothing()).execute();
        await trx.deleteFrom('collaborators').where('app_id', '=', app.id).where('account_id', '=', user.id).execute();
      }
      await trx.updateTable('apps').set({ owner_id: user.id, team_id: null, updated_at: t }).where('id', '=', app.id).execute();
      return { ...app, owner_id: user.id, team_id: null, updated_at: t };
    });
  }
}
