// The one client of HAProxy's unix sockets: the runtime API (stats socket, `set server`, `show info`)
// and the master's CLI (`show proc`). HAProxy answers a connection's commands (`;`-separated) and
// closes it; the whole answer is returned.
import { connect } from 'node:net';

/** Sends `commands` on one connection and resolves with HAProxy's answer once it closes. */
export function haproxyCommand(socketPath: string, commands: string | readonly string[]): Promise<string> {
  const line = typeof commands === 'string' ? commands : commands.join(';');
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (out += d));
    s.once('error', reject);
    s.once('close', () => resolve(out));
    s.end(`${line}\n`);
  });
}
