// Reading answers: a prompt on a terminal (optionally without echo), or one line from piped stdin.

import { CliError } from './errors.ts';
import type { Out } from './ux.ts';

/** The first line of a non-terminal stdin (`echo KEY | slipway login`); '' at EOF without one. */
export function readStdinLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (line: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      resolve(line.replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl !== -1) finish(buf.slice(0, nl));
    };
    const onEnd = () => finish(buf);
    const onError = (err: Error) => reject(err);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
    stdin.resume();
  });
}

/**
 * Asks on stderr and reads a line from the terminal. With `hidden`, keystrokes are not echoed (raw mode);
 * Ctrl-C aborts with exit 130 as a shell would.
 */
export function prompt(question: string, stdin: NodeJS.ReadStream, stderr: Out, hidden = false): Promise<string> {
  if (!hidden || !stdin.isTTY) {
    stderr.write(question);
    return readStdinLine(stdin);
  }
  return new Promise((resolve, reject) => {
    let answer = '';
    // Echo goes off before the question shows, so not even a fast paste is echoed.
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stderr.write(question);
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.off('data', onData);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new CliError('Aborted.', 130));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
