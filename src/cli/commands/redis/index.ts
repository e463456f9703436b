// `slipway redis:info [DATABASE]` and `redis:cli [DATABASE]`: the Key-Value Store add-ons of an app
// (heroku-redis, and redistogo served by the same provider).

import { spawn } from 'node:child_process';
import { appFlags, defineCommand, flag, jsonFlag } from '../../command.ts';
import type { Addon, Attachment } from '../../addons.ts';
import { CliError } from '../../errors.ts';
import { styledObject } from '../../ux.ts';

const REDIS_SERVICES = ['heroku-redis', 'redistogo'];

async function redisAddons(ctx: { api: import('../../api.ts').ApiClient }, app: string, ref?: string) {
  const [addons, atts] = await Promise.all([
    ctx.api.get<Addon[]>(`/apps/${encodeURIComponent(app)}/addons`),
    ctx.api.get<Attachment[]>(`/apps/${encodeURIComponent(app)}/addon-attachments`),
  ]);
  let list = addons.filter((a) => REDIS_SERVICES.includes(a.addon_service.name));
  if (ref) {
    const name = ref.toUpperCase().replace(/-/g, '_').replace(/_URL$/, '');
    list = list.filter((a) => a.name === ref || atts.some((t) => t.addon.id === a.id && t.name === name));
    if (list.length === 0) throw new CliError(`${app} has no Redis add-on ${ref}.`);
  }
  if (list.length === 0) throw new CliError(`${app} has no heroku-redis instances.`);
  return list.map((a) => ({ addon: a, vars: atts.filter((t) => t.addon.id === a.id && t.app.name === app).map((t) => `${t.name}_URL`) }));
}

export const info = defineCommand({
  id: 'redis:info',
  aliases: ['redis'],
  description: 'get information about your Redis instance',
  args: [{ name: 'database', description: 'config var or add-on name (all when left out)' }],
  flags: { ...appFlags, json: jsonFlag },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const list = await redisAddons(ctx, app, args.database);
    const infos = await Promise.all(list.map((x) => api.get<{ info: { name: string; values: string[] }[] }>(`/addons/${encodeURIComponent(x.addon.id)}/info`)));
    if (flags.json) return ui.json(infos);
    list.forEach((x, i) => {
      if (i > 0) ui.log('');
      ui.header(`${x.addon.name} (${x.vars.join(', ')})`);
      ui.lines(styledObject(infos[i]!.info.map((l) => [l.name, l.values.join(', ')])));
    });
  },
});

export const cli = defineCommand({
  id: 'redis:cli',
  description: 'opens a redis prompt\nThe local redis-cli against the add-on; commands may come on stdin (echo PING | slipway redis:cli).',
  args: [{ name: 'database', description: 'config var or add-on name' }],
  flags: { ...appFlags },
  async run(ctx) {
    const { args, api, ui } = ctx;
    const app = await ctx.app();
    const list = await redisAddons(ctx, app, args.database);
    if (list.length > 1) throw new CliError(`Please specify a single instance. Found: ${list.map((x) => x.addon.name).join(', ')}`);
    const { addon, vars } = list[0]!;
    const config = await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`);
    const url = vars.map((v) => config[v]).find(Boolean);
    if (!url) throw new CliError(`${addon.name} has no URL set on ${app}; attach it again (addons:attach ${addon.name}).`);
    ui.stderr.write(`Connecting to ${addon.name} (${vars.join(', ')}):\n`);
    const u = new URL(url);
    const cliArgs = ['-h', u.hostname, '-p', u.port || '6379', '--no-auth-warning'];
    // Heroku's certificates are self-signed: its own redis:cli does not verify them either.
    if (u.protocol === 'rediss:') cliArgs.push('--tls', '--insecure');
    if (u.username) cliArgs.push('--user', decodeURIComponent(u.username));
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('redis-cli', cliArgs, { stdio: 'inherit', env: { ...process.env, REDISCLI_AUTH: decodeURIComponent(u.password) } });
      child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT'
        ? new CliError('The local redis-cli command could not be located. Install it (apt-get install redis-tools).')
        : err));
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new CliError(`redis-cli exited with status ${code}`, code);
  },
});

export const credentials = defineCommand({
  id: 'redis:credentials',
  description: 'display credentials information\nWith --reset, a new password: attached apps get the new URL in a release and restart.',
  args: [{ name: 'database', description: 'config var or add-on name' }],
  flags: { ...appFlags, reset: flag.boolean({ description: 'reset credentials' }) },
  async run(ctx) {
    const { flags, args, api, ui } = ctx;
    const app = await ctx.app();
    const list = await redisAddons(ctx, app, args.database);
    if (list.length > 1) throw new CliError(`Please specify a single instance. Found: ${list.map((x) => x.addon.name).join(', ')}`);
    const { addon, vars } = list[0]!;
    if (flags.reset) {
      ui.log(`Resetting credentials for ${addon.name}`);
      await api.post(`/addons/${encodeURIComponent(addon.id)}/actions/rotate-credentials`, {});
      return;
    }
    const config = await api.get<Record<string, string>>(`/apps/${encodeURIComponent(app)}/config-vars`);
    ui.log(vars.map((v) => config[v]).find(Boolean) ?? '');
  },
});
