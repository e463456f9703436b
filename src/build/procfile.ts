// Procfile parsing: `<type>: <command>` per line, as Heroku reads it. Errors name the bad line with a
// short excerpt of it at most; reading goes through readBuildFile (no links, regular files, bounded).
import { join } from 'node:path';
import { excerpt, readBuildFile } from '../slugs/build-file.ts';

export class ProcfileError extends Error {}

/** The Procfile of a built app dir, parsed; null when it has none. */
export async function readProcfile(appDir: string): Promise<Record<string, string> | null> {
  const text = await readBuildFile(join(appDir, 'Procfile'), 'Procfile', { asError: (m) => new ProcfileError(m) });
  return text === undefined ? null : parseProcfile(text);
}

const LINE = /^([A-Za-z0-9_-]{1,128})\s*:\s*(.*)$/;

export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) {
      throw new ProcfileError(`Procfile line ${i + 1} is not of the form "<process type>: <command>": ${excerpt(raw)}. Process type names may use letters, digits, "-" and "_".`);
    }
    const [, type, command] = m as unknown as [string, string, string];
    if (!command.trim()) throw new ProcfileError(`Procfile line ${i + 1} gives process type "${type}" no command.`);
    if (type in types) throw new ProcfileError(`Procfile line ${i + 1} declares process type "${type}" a second time.`);
    types[type] = command.trim();
  });
  return types;
}

/** The `Procfile declares types -> ...` lines of the build output (Heroku pads them when defaults exist). */
export function describeProcessTypes(procfile: Record<string, string> | null, defaults: Record<string, string>): string[] {
  const declared = procfile ? Object.keys(procfile).sort() : [];
  const extra = Object.keys(defaults).filter((t) => !declared.includes(t)).sort();
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : '(none)');
  if (extra.length === 0) return [`       Procfile declares types -> ${list(declared)}`];
  return [`       Procfile declares types     -> ${list(declared)}`, `       Default types for buildpack -> ${list(extra)}`];
}
