// `slipway teams`, `teams:create NAME`, `members`, `members:add EMAIL --role R`, `members:remove EMAIL`
// (/teams and /teams/{team}/members; a team admin manages members).

import { defineCommand, flag, jsonFlag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import { table } from '../../ux.ts';

interface TeamInfo { name: string; role?: string | null }
interface MemberInfo { email: string; role: string }

const teamFlag = { team: flag.string({ char: 't', helpValue: 'TEAM', description: 'the team' }) };
const teamOf = (team: string | undefined) => {
  if (!team) throw new CliError('Give the team with --team TEAM (slipway teams lists yours).');
  return encodeURIComponent(team);
};

export const list = defineCommand({
  id: 'teams',
  aliases: ['teams:list'],
  description: 'list the teams you are a member of',
  flags: { json: jsonFlag },
  async run({ flags, api, ui }) {
    const teams = await api.get<TeamInfo[]>('/teams');
    if (flags.json) return ui.json(teams);
    if (teams.length === 0) return ui.log('You are not a member of any team (teams:create makes one).');
    ui.lines(table([['Team', 'Role'], ...[...teams].sort((a, b) => a.name.localeCompare(b.name)).map((t) => [t.name, t.role ?? ''])]));
  },
});

export const create = defineCommand({
  id: 'teams:create',
  description: 'create a team; you are its first admin',
  args: [{ name: 'name', description: 'the team name (lowercase letters, digits and dashes)', required: true }],
  flags: {},
  async run({ args, api, ui }) {
    if (!args.name) throw new CliError('Give the team name, e.g. slipway teams:create my-team');
    await ui.action(`Creating team ${args.name}`, () => api.post('/teams', { name: args.name }));
  },
});

export const members = defineCommand({
  id: 'members',
  description: 'list the members of a team',
  flags: { ...teamFlag, role: flag.string({ char: 'r', helpValue: 'ROLE', description: 'only members with this role' }), json: jsonFlag },
  async run({ flags, api, ui }) {
    let list = await api.get<MemberInfo[]>(`/teams/${teamOf(flags.team)}/members`);
    if (flags.role) list = list.filter((m) => m.role === flags.role);
    if (flags.json) return ui.json(list);
    if (list.length === 0) return ui.log(`No members in ${flags.team}${flags.role ? ` with role ${flags.role}` : ''}`);
    ui.lines(table(list.map((m) => [m.email, m.role])));
  },
});

export const addMember = defineCommand({
  id: 'members:add',
  aliases: ['members:set'],
  description: "add an account to a team, or change a member's role (team admins)",
  args: [{ name: 'email', description: 'the email of the account', required: true }],
  flags: { ...teamFlag, role: flag.string({ char: 'r', helpValue: 'ROLE', description: 'admin or member' }) },
  examples: ['slipway members:add dev@example.com --team my-team --role member'],
  async run({ args, flags, api, ui }) {
    if (!args.email) throw new CliError('Give the email of the account, e.g. slipway members:add dev@example.com --team T --role member');
    if (flags.role !== 'admin' && flags.role !== 'member') throw new CliError('Give the role with --role admin or --role member.');
    await ui.action(`Adding ${args.email} to ${flags.team} as ${flags.role}`, () => api.request('PUT', `/teams/${teamOf(flags.team)}/members`, { body: { email: args.email, role: flags.role } }));
  },
});

export const removeMember = defineCommand({
  id: 'members:remove',
  description: 'remove a member from a team (team admins; anyone may leave)',
  args: [{ name: 'email', description: 'the email of the member', required: true }],
  flags: { ...teamFlag },
  async run({ args, flags, api, ui }) {
    if (!args.email) throw new CliError('Give the email of the member, e.g. slipway members:remove dev@example.com --team T');
    await ui.action(`Removing ${args.email} from ${flags.team}`, () => api.delete(`/teams/${teamOf(flags.team)}/members/${encodeURIComponent(args.email!)}`));
  },
});
