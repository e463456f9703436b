// Output helpers: colours (only on a TTY), `=== headers`, aligned tables, JSON, and `Doing x... done` actions.

import { ARROW } from './errors.ts';

export interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
}

export type Paint = (s: string) => string;

export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  magenta: Paint;
  cyan: Paint;
}

const CODES: Record<keyof Palette, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
};

export function palette(enabled: boolean): Palette {
  const p = {} as Palette;
  for (const [name, [on, off]] of Object.entries(CODES) as [keyof Palette, [number, number]][]) {
    p[name] = enabled ? (s) => `\x1b[${on}m${s}\x1b[${off}m` : (s) => s;
  }
  return p;
}

/** Colour when the stream is a terminal, unless NO_COLOR; FORCE_COLOR forces it. */
export function colorEnabled(out: Out, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR) return false;
  return out.isTTY === true && env.TERM !== 'dumb';
}

export interface Cell {
  text: string;
  paint?: Paint;
}

/** Rows joined by two spaces, every column but the last padded to its widest cell; no trailing blanks. */
export function table(rows: readonly (readonly (Cell | string)[])[]): string[] {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'string' ? { text: c } : c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.text.length)));
  return cells.map((r) =>
    r
      .map((c, i) => {
        const shown = c.paint ? c.paint(c.text) : c.text;
        return i === r.length - 1 ? shown : shown + ' '.repeat(widths[i]! - c.text.length);
      })
      .join('  ')
      .trimEnd(),
  );
}

/** `Key:   value` lines with values aligned, as the heroku CLI's styledObject prints them. */
export function styledObject(entries: readonly [string, string][], paintKey: Paint = (s) => s): string[] {
  const width = Math.max(0, ...entries.map(([k]) => k.length)) + 2;
  return entries.map(([k, v]) => `${paintKey(k)}:${' '.repeat(width - k.length - 1)}${v}`.trimEnd());
}

const SPINNER = ['⣾', '⣽', '⣻', '⢿', '⡿', '⣟', '⣯', '⣷'];
const SPIN_MS = 80;

export class Ui {
  readonly stdout: Out;
  readonly stderr: Out;
  /** Whether stdout gets colours; `c` and `ce` paint stdout and stderr, each decided by its own stream. */
  readonly color: boolean;
  readonly c: Palette;
  readonly ce: Palette;

  constructor(stdout: Out, stderr: Out, env: NodeJS.ProcessEnv) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.color = colorEnabled(stdout, env);
    this.c = palette(this.color);
    this.ce = palette(colorEnabled(stderr, env));
  }

  log(line = ''): void {
    this.stdout.write(`${line}\n`);
  }

  lines(lines: readonly string[]): void {
    for (const l of lines) this.log(l);
  }

  header(text: string): void {
    this.log(`${this.c.bold('===')} ${this.c.bold(text)}`);
  }

  json(value: unknown): void {
    this.log(JSON.stringify(value, null, 2));
  }

  /** A notice on stderr in the heroku CLI's arrow style. */
  warn(message: string): void {
    for (const l of message.split('\n')) this.stderr.write(`${ARROW}${l}\n`);
  }

  /**
   * `text... done` on stderr around an async step, with a spinner when stderr is a terminal; `done` can
   * be extended from the step's result (`done, v3`). On failure the line ends in `!` and the error rethrows.
   */
  async action<T>(text: string, step: () => Promise<T>, done?: (result: T) => string | undefined): Promise<T> {
    const tty = this.stderr.isTTY === true;
    let timer: NodeJS.Timeout | undefined;
    if (tty) {
      let frame = 0;
      const draw = () => this.stderr.write(`\r\x1b[K${text}... ${this.ce.magenta(SPINNER[frame++ % SPINNER.length]!)}`);
      draw();
      timer = setInterval(draw, SPIN_MS);
    } else {
      this.stderr.write(`${text}... `);
    }
    const finish = (status: string) => {
      if (timer) clearInterval(timer);
      this.stderr.write(tty ? `\r\x1b[K${text}... ${status}\n` : `${status}\n`);
    };
    try {
      const result = await step();
      const extra = done?.(result);
      finish(extra ? `done, ${extra}` : 'done');
      return result;
    } catch (err) {
      finish(this.ce.red('!'));
      throw err;
    }
  }
}
