// Teams: a team owns apps and gives its members a role, `admin` (manages the team, its members and its
// apps) or `member` (uses the team's apps, creates new ones). The account that makes a team is its first
// admin; a team always keeps one. The operator administers every team.
import { randomUUID } from 'node:crypto';
import { invalid, notFound, PlatformError } from '../errors.ts';
import type { Db } from '../store/index.ts';
import { isUniqueViolation, now } from '../store/index.ts';
import type { TeamsTable } from '../store/schema.ts';
import { appNameProblem } from './names.ts';

export type TeamRow = TeamsTable;
export type TeamRole = 'admin' | 'member';
export const TEAM_ROLES: readonly TeamRole[] = ['admin', 'member'];

/** The email a team app's owner shows (the heroku CLI tells team apps by it, as on Heroku). */
export const teamOwnerEmail = (team: string) => `${team}@herokumanager.com`;

export interface TeamMember { id: string; email: string; role: TeamRole; created_at: string; updated_at: string }

/** How many teams an account may create unless told otherwise (SLIPWAY_TEAMS_PER_ACCOUNT). */
export const TEAMS_PER_ACCOUNT = 10;

export class Teams {
  constructor(private readonly o: { db: Db; isOperator: (accountId: string) => Promise<boolean>; maxPerAccount?: number }) {}

  /**
   * A new team with `creator` as its admin. An account may have made at most `maxPerAccount` teams that
   * still exist (counted by who made them, so leaving a team does not free a place; the operator has no
   * limit); counted and inserted in one transaction.
   */
  async create(creator: { id: string }, name: unknown): Promise<TeamRow> {
    const problem = appNameProblem(name);
    if (problem) throw invalid(problem.replace(/^Name/, 'Team name'));
    const t = now();
    const row: TeamRow = { id: randomUUID(), name: name as string, created_by: creator.id, created_at: t, updated_at: t };
    const max = (await this.o.isOperator(creator.id)) ? Infinity : this.o.maxPerAccount ?? TEAMS_PER_ACCOUNT;
    try {
      await this.o.db.transaction().execute(async (trx) => {
        const made = await trx.selectFrom('teams').select((eb) => eb.fn.countAll<number>().as('n')).where('created_by', '=', creator.id).executeTakeFirstOrThrow();
        if (Number(made.n) >= max) {
          throw invalid(`You have made ${max} teams, the most one account may (SLIPWAY_TEAMS_PER_ACCOUNT); delete one you no longer use (DELETE /teams/{team}), or ask the operator.`);
        }
        await trx.insertInto('teams').values(row).execute();
        await trx.insertInto('team_members').values({ team_id: row.id, account_id: creator.id, role: 'admin', created_at: t, updated_at: t }).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw invalid(`The team name ${row.name} is already taken.`);
      throw err;
    }
    return row;
  }

  /** Deletes a team that owns no apps (its memberships go with it). */
  async destroy(team: TeamRow): Promise<void> {
    await this.o.db.transaction().execute(async (trx) => {
      const apps = await trx.selectFrom('apps').select('name').where('team_id', '=', team.id).limit(3).execute();
      if (apps.length) throw invalid(`The team ${team.name} still owns apps (${apps.map((a) => a.name).join(', ')}); transfer or destroy them first.`);
      await trx.deleteFrom('team_members').where('team_id', '=', team.id).execute();
      await trx.deleteFrom('teams').where('id', '=', team.id).execute();
    });
  }

  /** The teams the account is in, with its role (the operator: every team, as admin where not a member). */
  async list(accountId: string): Promise<(TeamRow & { role: TeamRole })[]> {
    const mine = await this.o.db.selectFrom('teams').innerJoin('team_members', 'team_members.team_id', 'teams.id')
      .select(['teams.id', 'teams.name', 'teams.created_by', 'teams.created_at', 'teams.updated_at', 'team_members.role'])
      .where('team_members.account_id', '=', accountId).orderBy('teams.name').execute();
    if (!(await this.o.isOperator(accountId))) return mine;
    const all = await this.o.db.selectFrom('teams').selectAll().orderBy('name').execute();
    const role = new Map(mine.map((t) => [t.id, t.role]));
    return all.map((t) => ({ ...t, role: role.get(t.id) ?? 'admin' }));
  }

  /** The account's role in the team (the operator's: admin), or undefined. */
  async roleIn(teamId: string, accountId: string): Promise<TeamRole | undefined> {
    const m = await this.o.db.selectFrom('team_members').select('role').where('team_id', '=', teamId).where('account_id', '=', accountId).executeTakeFirst();
    return m?.role ?? ((await this.o.isOperator(accountId)) ? 'admin' : undefined);
  }

  /** The team by id or name, if the account is in it (`admin`: as an admin); others are told it does not exist. */
  async forMember(account: { id: string }, idOrName: string, admin = false): Promise<TeamRow & { role: TeamRole }> {
    const team = await this.o.db.selectFrom('teams').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    const role = team && await this.roleIn(team.id, account.id);
    if (!team || !role) throw notFound('team', "Couldn't find that team.");
    if (admin && role !== 'admin') throw new PlatformError(403, 'forbidden', `Only an admin of the team ${team.name} can do that.`);
    return { ...team, role };
  }

  /** A team by id (for showing a team app's owner). */
  byId(id: string): Promise<TeamRow | undefined> {
    return this.o.db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
  }

  members(teamId: string): Promise<TeamMember[]> {
    return this.o.db.selectFrom('team_members').innerJoin('accounts', 'accounts.id', 'team_members.account_id')
      .select(['accounts.id', 'accounts.email', 'team_members.role', 'team_members.created_at', 'team_members.updated_at'])
      .where('team_members.team_id', '=', teamId).orderBy('accounts.email').execute();
  }

  /** Adds the account to the team, or changes its role. */
  async setMember(team: TeamRow, account: { id: string }, role: unknown): Promise<void> {
    if (!TEAM_ROLES.includes(role as TeamRole)) throw invalid('role must be admin or member.');
    const t = now();
    await this.o.db.transaction().execute(async (trx) => {
      await trx.insertInto('team_members').values({ team_id: team.id, account_id: account.id, role: role as TeamRole, created_at: t, updated_at: t })
        .onConflict((oc) => oc.columns(['team_id', 'account_id']).doUpdateSet({ role: role as TeamRole, updated_at: t })).execute();
      await this.keepAnAdmin(trx, team);
    });
  }

  async removeMember(team: TeamRow, account: { id: string; email: string }): Promise<void> {
    await this.o.db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('team_members').where('team_id', '=', team.id).where('account_id', '=', account.id).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw notFound('user', `${account.email} is not a member of ${team.name}.`);
      await this.keepAnAdmin(trx, team);
    });
  }

  private async keepAnAdmin(trx: Db, team: TeamRow): Promise<void> {
    const admin = await trx.selectFrom('team_members').select('account_id').where('team_id', '=', team.id).where('role', '=', 'admin').executeTakeFirst();
    if (!admin) throw invalid(`The team ${team.name} must keep at least one admin; make another member an admin first.`);
  }
}
