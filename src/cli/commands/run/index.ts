// `slipway run CMD...`: a one-off dyno attached to this terminal through the platform's rendezvous (TLS):
// raw keystrokes in, the dyno's pseudo-terminal out, window size followed, and the remote exit status
// becomes this command's (the heroku CLI's `--exit-code` marker, always on here).

import { connect } from 'node:tls';
import { defineCommand, flag } from '../../command.ts';
import { CliError } from '../../errors.ts';
import type { Dyno } from '../../types.ts';
import { buildCommand, oneOffFlags, parseEnv } from './detached.ts';

const MARKER = '\uFFFF heroku-command-exit-status:';
const MARKER_RE = /\uFFFF heroku-command-exit-status: (\d+)\r?\n?/;

export default defineCommand({
  id: 'run',
  description:
    'run a one-off process inside a dyno, attached to your terminal\n' +
    "This command's flags are recognised anywhere; put the command after `--` when its own flags would\n" +
    'collide with them (slipway run -a demo -- ls -a). The exit status is the remote command\'s.',
  args: [{ name: 'command', description: 'the command to run', required: true }],
  passthrough: true,
  flags: {
    ...oneOffFlags,
    'no-tty': flag.boolean({ description: 'force the command to not run in a tty' }),
    'exit-code': flag.boolean({ char: 'x', description: 'passthrough the exit code of the remote command (always on)' }),
  },
  examples: ['slipway run bash', 'slipway run -a demo -- node -e "console.log(1)"'],
  async run(ctx) {
    const { flags, argv, api, ui } = ctx;
    const app = await ctx.app();
    const command = buildCommand(argv);
    const stdin = process.stdin;
    const tty = stdin.isTTY === true && ui.stdout.isTTY === true && !flags['no-tty'];
    const env: Record<string, unknown> = { ...parseEnv(flags.env) };
    if (tty) Object.assign(env, { TERM: process.env.TERM ?? 'xterm-256color', COLUMNS: process.stdout.columns, LINES: process.stdout.rows });
    const body: Record<string, unknown> = { command: `${command}; echo "${MARKER} $?"`, attach: true, env };
    if (!tty) body.force_no_tty = true;
    if (flags.size) body.size = flags.size;
    if (flags.type) body.type = flags.type;
    const ca = await api.get<string>('/rendezvous/ca.pem');
    const dyno = await api.post<Dyno & { attach_url?: string }>(`/apps/${encodeURIComponent(app)}/dynos`, body);
    if (!dyno.attach_url) throw new CliError('The platform did not return an attach URL for the dyno.');
    const url = new URL(dyno.attach_url);
    ui.stderr.write(`Running \`${command}\` attached to terminal... `);

    const status = await new Promise<number>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca, servername: url.hostname });
      let greeted = false;
      let tail = '';
      let code: number | undefined;
      const restore = () => {
        if (tty) stdin.setRawMode(false);
        stdin.pause();
        process.stdout.off('resize', onResize);
      };
      const onResize = () => {
        void api.post(`/apps/${encodeURIComponent(app)}/dynos/${dyno.name}/actions/resize`, { columns: process.stdout.columns, lines: process.stdout.rows }).catch(() => undefined);
      };
      socket.once('secureConnect', () => socket.write(`${url.pathname.slice(1)}${url.search}\r\n`));
      socket.on('data', (chunk: Buffer) => {
        if (!greeted) {
          greeted = true; // the rendezvous's greeting
          ui.stderr.write(`up, ${dyno.name}\n`);
          if (tty) {
            stdin.setRawMode(true);
            process.stdout.on('resize', onResize);
          }
          stdin.on('data', (d) => socket.write(d));
          stdin.on('end', () => { if (!tty) socket.write('\x04'); });
          stdin.resume();
          return;
        }
        // Hold back a possible partial marker; print everything else as it comes.
        const text = tail + chunk.toString('utf8');
        const m = MARKER_RE.exec(text);
        if (m) {
          code = Number(m[1]);
          process.stdout.write(text.slice(0, m.index) + text.slice(m.index + m[0].length));
          tail = '';
          return;
        }
        const keep = text.lastIndexOf('\uFFFF');
        tail = keep >= 0 && text.length - keep < MARKER.length + 8 ? text.slice(keep) : '';
        process.stdout.write(tail ? text.slice(0, keep) : text);
      });
      socket.on('error', (err) => {
        restore();
        reject(new CliError(`Could not attach to ${dyno.name}: ${err.message}`));
      });
      socket.on('close', () => {
        restore();
        if (tail) process.stdout.write(tail);
        if (code === undefined) reject(new CliError(`No exit code returned: the connection to ${dyno.name} closed first.`));
        else resolve(code);
      });
    });
    if (status !== 0) throw new CliError(`Process exited with code ${status}`, status);
  },
});
