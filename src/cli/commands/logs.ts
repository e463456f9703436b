// `slipway logs`: recent log lines, and with --tail the live stream, via a log session (POST .../log-sessions).

import { appFlags, defineCommand, flag } from '../command.ts';
import { UsageError } from '../errors.ts';
import { streamLogs } from '../logs.ts';

export default defineCommand({
  id: 'logs',
  description:
    'display recent log output\n' +
    'Lines look like `<time> <source>[<dyno>]: <message>`; source is app (your dynos, the API) or heroku\n' +
    '(router, dyno manager). With --tail the command keeps streaming until Ctrl-C.',
  flags: {
    ...appFlags,
    num: flag.integer({ char: 'n', helpValue: 'N', default: 100, description: 'number of lines to display' }),
    dyno: flag.string({
      char: 'd',
      aliases: ['p', 'ps', 'dyno-name', 'process-type'],
      helpValue: 'DYNO',
      description: 'only show output from this dyno (web.1) or process type (web)',
    }),
    source: flag.string({ char: 's', helpValue: 'SOURCE', description: 'only show output from this source: app or heroku' }),
    tail: flag.boolean({ char: 't', description: 'continually stream logs' }),
  },
  examples: ['slipway logs --tail', 'slipway logs -n 200 --dyno web.1', 'slipway logs --source heroku --dyno router'],
  async run(ctx) {
    const { flags, api, ui } = ctx;
    if (flags.num < 0) throw new UsageError('--num must not be negative');
    const app = await ctx.app();
    await streamLogs({
      api,
      app,
      params: { lines: flags.num, tail: flags.tail, dyno: flags.dyno, source: flags.source },
      out: ui.stdout,
      palette: ui.color ? ui.c : undefined,
    });
  },
});
