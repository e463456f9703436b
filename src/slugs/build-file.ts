// Reading a file a build produced (Procfile, app.json, .slugignore): the build's code chose what sits at
// that name, and the platform reads it as root. So: no link is followed (O_NOFOLLOW), opening never
// blocks on a FIFO or a device (O_NONBLOCK), only a regular file is read (fstat on the opened
// descriptor, so nothing can be swapped in between), and only up to a bound. Errors say what the entry
// is, never what it holds.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** What a build file may weigh by default (a Procfile or app.json is a few KB). */
export const BUILD_FILE_MAX_BYTES = 256 * 1024;

export class BuildFileError extends Error {}

export interface ReadBuildFileOptions {
  maxBytes?: number;
  /** The error thrown for a refused file (default BuildFileError), so a caller's own kind reaches the pusher. */
  asError?: (message: string) => Error;
}

/**
 * The text of `path` (a file the build wrote; `name` is how errors call it), or undefined when there
 * is none. Throws (BuildFileError by default) when it is a symlink, not a regular file, or larger than
 * `maxBytes`.
 */
export async function readBuildFile(path: string, name: string, opts: ReadBuildFileOptions = {}): Promise<string | undefined> {
  try {
    return await read(path, name, opts.maxBytes ?? BUILD_FILE_MAX_BYTES);
  } catch (err) {
    if (err instanceof BuildFileError && opts.asError) throw opts.asError(err.message);
    throw err;
  }
}

async function read(path: string, name: string, maxBytes: number): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new BuildFileError(`${name} is a symbolic link; it must be a regular file in the app's root.`);
    if (code === 'ENOTDIR') return undefined;
    throw new BuildFileError(`${name} could not be opened (${code ?? 'error'}); it must be a regular file in the app's root.`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new BuildFileError(`${name} is not a regular file (${kindOf(st)}); it must be a regular file in the app's root.`);
    if (st.size > maxBytes) throw new BuildFileError(`${name} is ${st.size} bytes; at most ${maxBytes} are read.`);
    const buf = Buffer.alloc(maxBytes + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      // It grew while being read: the bound holds all the same.
      if (got > maxBytes) throw new BuildFileError(`${name} is larger than ${maxBytes} bytes; at most that is read.`);
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    await fh.close();
  }
}

function kindOf(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/** A short excerpt of a user's value for an error message: a string quoted, anything else as JSON; at most `max` characters of it. */
export function excerpt(value: unknown, max = 60): string {
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max)}…` : s);
  return typeof value === 'string' ? JSON.stringify(cut(value)) : cut(JSON.stringify(value) ?? String(value));
}
